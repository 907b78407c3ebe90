// Preloaded into both bots in the start-up case only (node --expose-gc --import): on SIGUSR2 the
// process runs a full garbage collection, so "RSS after ready" can be read once with whatever
// garbage start-up left (parsing 1,000 GUILD_CREATEs) and once with only what each bot keeps.
// SIGUSR2 is otherwise unused by the bot (SIGHUP reloads the KB, SIGTERM/SIGINT stop it).
type Gc = () => void;

process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: Gc }).gc;
  gc?.();
  process.stderr.write(`gc-probe: ${gc ? 'collected' : 'no gc(): start node with --expose-gc'}\n`);
});
