// The simulator's HTTP server announces `Keep-Alive: timeout=1` (server.keepAliveTimeout = 1000 in
// src/sim/simulator.ts). undici, under discord.js's REST and fetch(), treats a socket as expired
// `keepAliveTimeoutThreshold` (2 s) before the server's hint, so it never reuses one: every REST
// call and CDN download of both bots opened and closed a TCP connection, which Discord's keep-alive
// does not make them do, and which cost both bots and the simulator CPU on a 2-core machine.
// A longer timeout restores reuse; sim.stop() closes idle connections itself, so it stays quick.
import { Server } from 'node:http';
import type { DiscordSimulator } from '../src/sim/index.js';

export const SIM_KEEP_ALIVE_MS = 10_000;

export function keepConnectionsAlive(sim: DiscordSimulator): DiscordSimulator {
  // The server is private to the simulator; it is reached at run time rather than edited there.
  const server: unknown = Reflect.get(sim, 'server');
  if (server instanceof Server) server.keepAliveTimeout = SIM_KEEP_ALIVE_MS;
  else throw new Error('the simulator no longer keeps its HTTP server in `server`: update bench/keepalive.ts');
  return sim;
}
