// `npm run store:verify`: recount every server's pledges from the records, repair the aggregates
// and the hash index, re-sum the campaign, purge expired interaction memos, and say what changed.
// Run it with the bot stopped, or from the bot process itself: in-process locks do not reach
// another process (docs/store.md, "Concurrency").
import { pathToFileURL } from 'node:url';
import { loadDotEnvOrReport } from '../config.js';
import { PledgeService, type ReconcileReport } from '../pledges/index.js';
import { DEFAULT_STORE_URL, openStore, stderrLogger, type Store, type StoreLogger } from '../store/index.js';

export type StoreVerifyOptions = {
  url?: string;
  out?: (line: string) => void;
  log?: StoreLogger;
  opTimeoutMs?: number;
};

export type StoreVerifyResult = { exitCode: 0 | 1; report: ReconcileReport | null };

export async function runStoreVerify(opts: StoreVerifyOptions = {}): Promise<StoreVerifyResult> {
  const out = opts.out ?? ((line: string) => console.log(line));
  const url = opts.url ?? DEFAULT_STORE_URL;
  let store: Store | undefined;
  try {
    store = await openStore(url, { log: opts.log ?? stderrLogger, ...(opts.opTimeoutMs ? { opTimeoutMs: opts.opTimeoutMs } : {}) });
    out(`store: ${store.description}`);
    const ping = await store.ping();
    if (!ping.ok) {
      out(`cannot read the store: ${ping.error.message}`);
      return { exitCode: 1, report: null };
    }
    const pledges = new PledgeService({ store });
    const report = await pledges.reconcile();
    for (const g of report.guilds) {
      const state = g.fixes.length === 0 && g.hashIndexEntriesRestored === 0 ? 'ok' : 'repaired';
      out(`server ${g.guildId}: ${g.totals.counted} counted, ${g.pledgesCounted} pledges, ${g.numbersScanned} numbers: ${state}`);
      out(`  by level: leave ${g.totals.byLevel.leave}, strike ${g.totals.byLevel.strike}; shares declared ${g.totals.byLevel.share}`);
      for (const f of g.fixes) out(`  fixed ${f}`);
      if (g.hashIndexEntriesRestored > 0) out(`  restored ${g.hashIndexEntriesRestored} hash index entries`);
      if (g.staleNumbers.length > 0) out(`  unused numbers (interrupted submissions): ${g.staleNumbers.join(', ')}`);
      for (const bad of g.invalidRecords) out(`  DAMAGED ${bad.key}: ${bad.issues.join('; ')} (not counted; fix or withdraw it)`);
    }
    out(`campaign: ${report.campaign.counted} counted in ${report.campaign.servers} servers: ${report.campaignFixes.length ? 'repaired' : 'ok'}`);
    const cl = report.campaign.byLevel;
    out(`  by level: leave ${cl.leave}, strike ${cl.strike}; shares declared ${cl.share}`);
    for (const f of report.campaignFixes) out(`  fixed ${f}`);
    const purged = await pledges.purgeExpiredMemos();
    if (purged > 0) out(`purged ${purged} expired interaction memos`);
    const damaged = report.guilds.reduce((n, g) => n + g.invalidRecords.length, 0);
    out(`${report.repaired ? 'repairs written' : 'nothing to repair'}${damaged ? `; ${damaged} damaged records need a person` : ''}`);
    return { exitCode: 0, report };
  } catch (err) {
    out(`cannot read the store: ${err instanceof Error ? err.message : String(err)}`);
    return { exitCode: 1, report: null };
  } finally {
    await store?.close();
  }
}

/** Checks the store the bot would open: STORE_URL from the environment or `.env`, as `npm start` reads it. */
async function main(): Promise<0 | 1> {
  if (!loadDotEnvOrReport((line) => console.error(line))) return 1;
  const fromEnv = process.env.STORE_URL?.trim();
  return (await runStoreVerify({ url: fromEnv ? fromEnv : DEFAULT_STORE_URL })).exitCode;
}

const invokedPath = process.argv[1];
if (invokedPath && import.meta.url === pathToFileURL(invokedPath).href) {
  process.exitCode = await main();
}
