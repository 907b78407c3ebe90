// submit() commits a pledge as one batch, but a failure can still come after the store has it: the
// batch landed and its answer was lost (a connection cut right after COMMIT, a timeout), or the
// kept copy failed after the record. If the store answers again at once, the record (stamped with
// this interaction's id) is the truth: repair the server's aggregates if needed and report the
// pledge, so the member is never told "not recorded" about a pledge that /pledge status then shows.
import { StoreUnavailableError } from '../store/index.js';
import type { PledgeService, SubmitInput, SubmitResult } from './service.js';

export async function submitWithRecovery(
  pledges: PledgeService,
  input: SubmitInput,
  onRepairFailed: (err: unknown) => void = () => undefined,
): Promise<SubmitResult> {
  try {
    return await pledges.submit(input);
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    const found = await pledges.get(input.guildId, input.userId).catch(() => null);
    const record = found?.ok ? found.record : null;
    // Nothing of this interaction reached the store (or it cannot be read): the member must retry.
    if (!record || record.interactionId !== input.interactionId) throw err;
    // The record is durable, so the member may be told so; the counts follow when the store allows
    // (now, or at the next start-up reconciliation).
    const repaired = await pledges
      .reconcile(input.guildId)
      .then(() => Promise.all([pledges.totals(input.guildId), pledges.campaignTotals()]))
      .catch((repairErr: unknown) => (onRepairFailed(repairErr), null));
    return {
      // A replacement keeps the pledge's date; a first pledge, or one made again after a withdrawal
      // or a rejection, starts a new one (submit() sets createdAt = updatedAt).
      outcome: record.createdAt === record.updatedAt ? 'created' : 'replaced',
      record,
      possibleDuplicate: record.duplicateOf.length > 0,
      previousStatus: null,
      previousLevel: null,
      // Milestones compare before/after; the repaired count includes this pledge.
      counts: repaired
        ? {
            guild: { before: Math.max(0, repaired[0].counted - 1), after: repaired[0].counted },
            campaign: { before: Math.max(0, repaired[1].counted - 1), after: repaired[1].counted },
          }
        : { guild: { before: 0, after: 0 }, campaign: { before: 0, after: 0 } },
    };
  }
}
