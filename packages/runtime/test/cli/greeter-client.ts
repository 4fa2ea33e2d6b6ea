/**
 * A client of the greeter example run by `statefun` as a child process: the bound ports from the
 * startup log line, a PUT to the playground ingress, and a (long-polling) read of the next
 * greeting from the playground egress.
 */
import assert from "node:assert/strict";
import { portOf } from "./helpers.js";

/** Where the greeter listens. */
export interface GreeterPorts {
  readonly ingress: number;
  readonly egress: number;
  readonly admin: number;
}

/** The ports of a `statefun started` log line (admin API included). */
export function portsOf(started: Record<string, unknown>): GreeterPorts {
  const [ingress] = started.ingresses as unknown[];
  const [egress] = started.egresses as unknown[];
  return { ingress: portOf(ingress), egress: portOf(egress), admin: portOf(started.admin) };
}

/** PUTs a greet request for `name`; the 200 answer means the message is durable. */
export async function greet(ports: GreeterPorts, name: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${ports.ingress}/example/person/${name}`, {
    method: "PUT",
    headers: { "Content-Type": "application/vnd.example/GreetRequest" },
    body: JSON.stringify({ name }),
  });
  assert.equal(response.status, 200, await response.text());
}

/** Takes the next greeting, waiting for it up to `waitMs`; `undefined` when none came. */
export async function nextGreeting(
  ports: GreeterPorts,
  waitMs = 10_000,
): Promise<string | undefined> {
  const response = await fetch(`http://127.0.0.1:${ports.egress}/greetings?waitMs=${waitMs}`);
  if (response.status === 204) return undefined;
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return text;
}

/** The admin API's base URL. */
export function adminUrl(ports: GreeterPorts): string {
  return `http://127.0.0.1:${ports.admin}`;
}
