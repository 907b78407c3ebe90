// Per-server settings, Red-DiscordBot style: one schema declares every field with its default,
// the store keeps only what a server changed, and reading always yields the full object. A new
// field therefore needs no migration, and changing a default reaches every server that kept it.
import { z } from 'zod';
import { LOCALES } from '../kb/schema.js';
import type { Store, StoreLogger } from '../store/index.js';

export const DEFAULT_MILESTONES: readonly number[] = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

const id = z.string().regex(/^\d{1,20}$/, 'expected a Discord id');

/** Sorted, without repeats, positive whole numbers: how announcements walk them. */
export const milestonesSchema = z
  .array(z.number().int().positive())
  .max(100)
  .transform((list) => [...new Set(list)].sort((a, b) => a - b));

// Field schemas without defaults: shared by the full schema (defaults applied) and by the stored
// overrides (only what was set). zod applies a `.default()` even inside `.partial()`, so the two
// must be built separately.
const fields = {
  announcementsChannelId: id.nullable(),
  reviewChannelId: id.nullable(),
  logChannelId: id.nullable(),
  moderatorRoleId: id.nullable(),
  organizerRoleId: id.nullable(),
  milestones: milestonesSchema,
  publicLocale: z.enum(LOCALES),
  keepScreenshots: z.boolean(),
  autoVerify: z.boolean(),
  /** Opt in to campaign-wide milestone announcements (in addition to this server's). */
  campaignMilestones: z.boolean(),
};

export type GuildSettings = {
  announcementsChannelId: string | null;
  reviewChannelId: string | null;
  logChannelId: string | null;
  moderatorRoleId: string | null;
  organizerRoleId: string | null;
  milestones: number[];
  publicLocale: z.infer<typeof fields.publicLocale>;
  keepScreenshots: boolean;
  autoVerify: boolean;
  campaignMilestones: boolean;
};

export const SETTINGS_DEFAULTS: Readonly<GuildSettings> = Object.freeze({
  announcementsChannelId: null,
  reviewChannelId: null,
  logChannelId: null,
  moderatorRoleId: null,
  organizerRoleId: null,
  milestones: [...DEFAULT_MILESTONES],
  publicLocale: 'en',
  keepScreenshots: false,
  autoVerify: true,
  campaignMilestones: true,
});

export const settingsSchema = z.object({
  announcementsChannelId: fields.announcementsChannelId.default(null),
  reviewChannelId: fields.reviewChannelId.default(null),
  logChannelId: fields.logChannelId.default(null),
  moderatorRoleId: fields.moderatorRoleId.default(null),
  organizerRoleId: fields.organizerRoleId.default(null),
  milestones: fields.milestones.default(() => [...DEFAULT_MILESTONES]),
  publicLocale: fields.publicLocale.default('en'),
  keepScreenshots: fields.keepScreenshots.default(false),
  autoVerify: fields.autoVerify.default(true),
  campaignMilestones: fields.campaignMilestones.default(true),
}) satisfies z.ZodType<GuildSettings, unknown>;

/** What is stored: only fields a server set. Unknown keys are refused so a typo is not saved. */
export const settingsPatchSchema = z.strictObject(fields).partial();
export type SettingsPatch = Partial<GuildSettings>;
export type SettingsField = keyof GuildSettings;

const SETTING_FIELDS = Object.keys(fields) as SettingsField[];

export class SettingsPatchError extends Error {
  override name = 'SettingsPatchError';
  constructor(readonly issues: string[]) {
    super(`invalid settings: ${issues.join('; ')}`);
  }
}

export type SettingsChange = { before: GuildSettings; after: GuildSettings };

/**
 * How long get() trusts what it last read. A /pledge reads its server's settings three times (the
 * command's checks, intake, milestones) and the settings change a few times in a server's life; this
 * service's own writes replace the entry at once, so only a second process (another shard, or a
 * script) writing the same store is seen up to this late.
 */
export const SETTINGS_CACHE_MS = 5_000;

export class SettingsService {
  private readonly overrides;
  private readonly log: StoreLogger;
  private readonly recent = new Map<string, { readAt: number; overrides: Promise<Partial<GuildSettings>> }>();

  constructor(private readonly store: Store, opts: { log?: StoreLogger } = {}) {
    // Loose on read: a field written by a newer version is ignored, not a reason to drop the rest.
    this.overrides = store.collection('settings', z.record(z.string(), z.unknown()));
    this.log = opts.log ?? store.log;
  }

  /** Always the full settings: defaults for anything the server never set (or that is damaged). */
  async get(guildId: string): Promise<GuildSettings> {
    const now = Date.now();
    let hit = this.recent.get(guildId);
    if (!hit || now - hit.readAt > SETTINGS_CACHE_MS) {
      const overrides = this.readOverrides(guildId);
      hit = { readAt: now, overrides };
      this.recent.set(guildId, hit);
      // A failed read (store down) is not remembered: the next get() asks the store again.
      overrides.catch(() => {
        if (this.recent.get(guildId)?.overrides === overrides) this.recent.delete(guildId);
      });
    }
    return withDefaults(await hit.overrides);
  }

  /** What get() answers from now on, after this service wrote `overrides`. */
  private remember(guildId: string, overrides: Partial<GuildSettings>): void {
    this.recent.set(guildId, { readAt: Date.now(), overrides: Promise.resolve(overrides) });
  }

  /**
   * Applies `patch` (fields left undefined are untouched; milestones are sorted and de-duplicated).
   * Throws SettingsPatchError, changing nothing, if any field is invalid.
   */
  async update(guildId: string, patch: SettingsPatch): Promise<SettingsChange> {
    checkGuildId(guildId);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const parsed = settingsPatchSchema.safeParse(defined);
    if (!parsed.success) {
      throw new SettingsPatchError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
    }
    return this.store.withLock(`settings:${guildId}`, async () => {
      const current = await this.readOverrides(guildId);
      const next = { ...current, ...parsed.data };
      this.recent.delete(guildId);
      await this.overrides.write(guildId, next);
      this.remember(guildId, next);
      return { before: withDefaults(current), after: withDefaults(next) };
    });
  }

  /** Back to the default for the given fields (all fields when none are named). */
  async reset(guildId: string, which: readonly SettingsField[] = SETTING_FIELDS): Promise<SettingsChange> {
    checkGuildId(guildId);
    return this.store.withLock(`settings:${guildId}`, async () => {
      const current = await this.readOverrides(guildId);
      const next: Partial<GuildSettings> = { ...current };
      for (const f of which) delete next[f];
      this.recent.delete(guildId);
      if (Object.keys(next).length === 0) await this.overrides.delete(guildId);
      else await this.overrides.write(guildId, next);
      this.remember(guildId, next);
      return { before: withDefaults(current), after: withDefaults(next) };
    });
  }

  /** Keeps every stored field that still validates; a damaged one falls back to its default. */
  private async readOverrides(guildId: string): Promise<Partial<GuildSettings>> {
    checkGuildId(guildId);
    const r = await this.overrides.read(guildId);
    const raw: unknown = r.ok ? r.value : r.error.raw;
    if (typeof raw !== 'object' || raw === null) {
      if (!r.ok || raw !== undefined) this.log.warn({ guildId }, 'settings: stored settings unreadable, using defaults');
      return {};
    }
    const kept: Record<string, unknown> = {};
    const dropped: string[] = [];
    for (const [k, v] of Object.entries(raw)) {
      const schema = (fields as Record<string, z.ZodType>)[k];
      const ok = schema?.safeParse(v);
      if (ok?.success) kept[k] = ok.data;
      else dropped.push(k);
    }
    if (dropped.length > 0) this.log.warn({ guildId, fields: dropped }, 'settings: ignoring invalid or unknown stored fields');
    return settingsPatchSchema.parse(kept);
  }
}

function withDefaults(overrides: Partial<GuildSettings>): GuildSettings {
  return settingsSchema.parse(overrides);
}

function checkGuildId(guildId: string): void {
  if (!id.safeParse(guildId).success) throw new SettingsPatchError([`guildId: expected a Discord id`]);
}

export function createSettings(store: Store, opts: { log?: StoreLogger } = {}): SettingsService {
  return new SettingsService(store, opts);
}
