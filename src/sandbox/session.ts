// One sandbox session: the simulator with the demo server, the real bot on a temporary store, and
// the state of the person typing (who they are, what they have already seen). Every line goes
// through `run`, the same in the interactive prompt, in `--script` and in the tests.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DiscordSimulator,
  Permissions,
  SimUsageError,
  type AttachmentInput,
  type ComponentView,
  type InteractionHandle,
  type JsonObject,
  type OverwriteSpec,
  type SimMessage,
  type SimUser,
  type SlashOptionValue,
} from '../sim/index.js';
import { BotLog } from './botlog.js';
import { createDemoWorld, startSimulatedBot, type DemoWorld, type SimulatedBot } from './harness.js';
import { buttonLabel, renderMessage, type RenderOptions } from './render.js';
import { commandDefs, helpText, parseLine, type CommandDef, type OptionValue, type Ref, type SlashStep } from './script.js';

export type Ask = (prompt: string) => Promise<string | null>;

export type SessionOptions = {
  /** Receives every transcript line. */
  out: (line: string) => void;
  /** Asks the person for a modal field; null when there is no more input. */
  ask?: Ask;
  /** Where file paths in options are looked up, in order (default: the current directory, then sandbox/). */
  fileDirs?: string[];
  /** Keep the temporary folder (store and bot log) after stopping. */
  keepTempDir?: boolean;
  /** How long the bot may take to finish one interaction. */
  stepTimeoutMs?: number;
};

export type StepResult = { ok: boolean; quit?: boolean };

type Seen = { fingerprint: string; channelId: string };

/** Someone the person at the prompt can act as. */
type Actor = { name: string; user: SimUser; about: string };

const DISCORD_LOCALES = [
  'id', 'da', 'de', 'en-GB', 'en-US', 'es-ES', 'es-419', 'fr', 'hr', 'it', 'lt', 'hu', 'nl', 'no', 'pl', 'pt-BR',
  'ro', 'fi', 'sv-SE', 'vi', 'tr', 'cs', 'el', 'bg', 'ru', 'uk', 'hi', 'th', 'zh-CN', 'ja', 'zh-TW', 'ko',
];
const LOCALE_SHORTHAND: Record<string, string> = { en: 'en-US', es: 'es-ES', pt: 'pt-BR', sv: 'sv-SE', zh: 'zh-CN' };
const CHANNEL_ALIASES: Record<string, string> = { review: 'pledge-review', log: 'bot-log', announce: 'announcements' };
const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.heic': 'image/heic',
  '.txt': 'text/plain',
  '.pdf': 'application/pdf',
};
const DEFAULT_CHANNEL_POSTS = 5;

function fingerprint(m: SimMessage): string {
  return JSON.stringify([m.content, m.embeds, m.components, m.attachments.map((a) => a.id), m.flags]);
}

function nonEmpty(m: SimMessage): boolean {
  return m.content !== '' || m.embeds.length > 0 || m.components.length > 0 || m.attachments.length > 0;
}

/** Letters and digits only, accents and emoji dropped: `next` finds `Next ▶`, `precedent` finds `◀ Précédent`. */
export function normalizeLabel(s: string): string {
  return s.normalize('NFKD').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').replace(/\p{M}/gu, '').trim();
}

function ownerOf(m: SimMessage): string | undefined {
  const user = m.interaction_metadata?.user;
  return typeof user === 'object' && user !== null && !Array.isArray(user) && typeof user.id === 'string' ? user.id : undefined;
}

function walkComponents(components: readonly ComponentView[], visit: (c: ComponentView) => void): void {
  for (const c of components) {
    visit(c);
    walkComponents(c.components ?? [], visit);
    if (c.component) walkComponents([c.component], visit);
    if (c.accessory) walkComponents([c.accessory], visit);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class Sandbox {
  private readonly out: (line: string) => void;
  private readonly ask: Ask;
  private readonly fileDirs: string[];
  private readonly stepTimeoutMs: number;
  private readonly seen = new Map<string, Map<string, Seen>>();
  /** When each message was last shown to anyone: buttons are pressed on the most recent one. */
  private readonly shownAt = new Map<string, number>();
  private shownSeq = 0;
  private violationsSeen = 0;
  private unknownRoutesSeen = 0;
  private mentionWarningsSeen = 0;
  private stopping: Promise<void> | null = null;
  private readonly actors: Actor[];
  current: Actor;

  private constructor(
    readonly sim: DiscordSimulator,
    readonly running: SimulatedBot,
    readonly world: DemoWorld,
    readonly commands: CommandDef[],
    private readonly log: BotLog,
    private readonly tempDir: string,
    private readonly options: SessionOptions,
  ) {
    this.out = options.out;
    this.ask = options.ask ?? (() => Promise.resolve(null));
    this.fileDirs = options.fileDirs ?? [process.cwd(), path.join(process.cwd(), 'sandbox')];
    this.stepTimeoutMs = options.stepTimeoutMs ?? 10_000;
    const owner = sim.user(world.guild.ownerId);
    this.actors = [
      { name: 'member', user: world.users.member, about: '' },
      { name: 'moderator', user: world.users.moderator, about: 'Moderators' },
      { name: 'organizer', user: world.users.organizer, about: 'Organizers' },
      { name: 'camille', user: world.users.francophone, about: 'fr' },
      // Only the owner has Manage Server in the demo server, which /config requires.
      ...(owner ? [{ name: 'owner', user: owner, about: 'server owner' }] : []),
    ];
    this.current = this.actors[0] ?? { name: 'member', user: world.users.member, about: '' };
  }

  static async start(options: SessionOptions): Promise<Sandbox> {
    const tempDir = await mkdtemp(path.join(os.tmpdir(), 'quitgpt-sandbox-'));
    const log = new BotLog(path.join(tempDir, 'bot.log'));
    let sim: DiscordSimulator | null = null;
    let running: SimulatedBot | null = null;
    try {
      sim = await DiscordSimulator.start({ heartbeatIntervalMs: 500 });
      const world = createDemoWorld(sim);
      // The demo server hides #pledge-review and #bot-log from @everyone, the bot included; an
      // organizer setting up the real server would let the bot in, so the sandbox does too.
      await letBotSee(sim, world, world.channels.review);
      await letBotSee(sim, world, world.channels.log);
      running = await startSimulatedBot({
        sim,
        storeUrl: `sqlite://${path.join(tempDir, 'quitgpt.sqlite')}`,
        logLevel: 'info',
        logDestination: log,
        // The real check, on one worker: it starts only when a screenshot is sent.
        ocrWorkers: 1,
      });
      await running.bot.ctx.settings.update(world.guild.id, {
        reviewChannelId: world.channels.review,
        moderatorRoleId: world.roles.moderators,
        announcementsChannelId: world.channels.announcements,
        organizerRoleId: world.roles.organizers,
        logChannelId: world.channels.log,
      });
      const commands = commandDefs([...sim.registeredCommands(), ...sim.registeredCommands(world.guild.id)]);
      const session = new Sandbox(sim, running, world, commands, log, tempDir, options);
      // Start-up warnings are the bot's, not a step's.
      for (const n of log.takeNotices()) session.out(`! bot ${n.level}: ${n.text}`);
      return session;
    } catch (err) {
      await running?.stop().catch(() => undefined);
      if (sim) await sim.stop();
      await log.close();
      await rm(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  get logPath(): string {
    return this.log.path;
  }

  get prompt(): string {
    const locale = this.sim.user(this.current.user.id)?.locale ?? this.current.user.locale;
    return `${this.current.name}${locale === 'en-US' ? '' : ` (${locale})`}> `;
  }

  banner(): string[] {
    const guild = this.world.guild;
    return [
      `QuitGPT sandbox: the real bot on a simulated Discord server, "${this.guildName()}".`,
      `Channels: ${Object.keys(guild.channels).map((c) => `#${c}`).join(', ')}. Commands run in #general.`,
      `Users: ${this.userList().join(', ')}. You are ${this.current.name}.`,
      'Type help for what you can do, quit (or Ctrl-D) to leave.',
    ];
  }

  async stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.running.stop().catch((err: unknown) => this.out(`! stopping the bot failed: ${errorText(err)}`));
      await this.sim.stop();
      await this.log.close();
      if (!this.options.keepTempDir) await rm(this.tempDir, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  /** Runs one line and prints what happened. Never throws for a mistake in the line. */
  async run(line: string): Promise<StepResult> {
    const step = parseLine(line, this.commands);
    try {
      switch (step.kind) {
        case 'blank':
        case 'comment':
          return { ok: true };
        case 'help':
          helpText(this.commands, this.actors.map((a) => a.name), [...Object.keys(this.world.guild.channels), 'review', 'dm']).forEach((l) => this.out(l));
          return { ok: true };
        case 'quit':
          return { ok: true, quit: true };
        case 'info':
          this.out(step.message);
          return { ok: true };
        case 'error':
          this.out(`✗ ${step.message}`);
          return { ok: false };
        case 'as':
          return this.switchUser(step.who);
        case 'lang':
          return this.setLocale(step.locale);
        case 'channel':
          return this.showChannel(step.name, step.count ?? DEFAULT_CHANNEL_POSTS);
        case 'press':
          return await this.press(step.label, step.explicit);
        case 'select':
          return await this.select(step.label);
        case 'slash':
          return await this.slash(step);
      }
    } catch (err) {
      // A SimUsageError is the simulator saying Discord's client would not send this.
      this.out(`✗ ${err instanceof SimUsageError ? `Discord would not send that: ${this.withNames(err.message)}` : errorText(err)}`);
      return { ok: false };
    }
  }

  // ─── World ────────────────────────────────────────────────────────────────────────────────────

  private guildName(): string {
    return this.running.bot.client.guilds.cache.get(this.world.guild.id)?.name ?? 'QuitGPT Campaign';
  }

  private userList(): string[] {
    return this.actors.map((a) => (a.about ? `${a.name} (${a.about})` : a.name));
  }

  private actorName(userId: string): string | undefined {
    if (userId === this.sim.applicationId) return 'bot';
    return this.actors.find((a) => a.user.id === userId)?.name ?? this.sim.user(userId)?.username;
  }

  /** The simulator's messages name users and channels by id; a person knows them by name. */
  private withNames(text: string): string {
    return text.replace(/\d{17,20}/g, (id) => {
      const actor = this.actors.find((a) => a.user.id === id);
      if (actor) return actor.name;
      const channel = this.channelName(id);
      return channel ? `#${channel}` : id;
    });
  }

  private channelName(id: string): string | undefined {
    return Object.entries(this.world.guild.channels).find(([, cid]) => cid === id)?.[0];
  }

  private renderOptions(message: SimMessage, edited: boolean): RenderOptions {
    const name = this.channelName(message.channel_id);
    return {
      ...(name ? { channelName: name } : {}),
      dm: !message.guild_id && !name,
      edited,
      users: (id) => this.actorName(id),
      channels: (id) => this.channelName(id),
      roles: (id) => Object.entries(this.world.guild.roles).find(([, rid]) => rid === id)?.[0],
      now: this.sim.clock.now(),
    };
  }

  private canSee(userId: string, channelId: string): boolean {
    return (this.sim.permissionsFor(channelId, userId) & Permissions.ViewChannel) !== 0n;
  }

  /** The channels a user can read: guild channels they may view, and their DM with the bot. */
  private visibleChannels(userId: string): string[] {
    const ids = Object.values(this.world.guild.channels).filter((id) => this.canSee(userId, id));
    const dm = this.sim.dmChannelId(userId);
    return dm ? [...ids, dm] : ids;
  }

  /** Messages a user can see, their own ephemeral replies included. */
  private visibleMessages(userId: string): SimMessage[] {
    return this.visibleChannels(userId).flatMap((id) =>
      this.sim.channelMessages(id, { includeEphemeral: true }).filter((m) => !(m.flags & 64) || ownerOf(m) === userId),
    );
  }

  private seenBy(userId: string): Map<string, Seen> {
    let map = this.seen.get(userId);
    if (!map) this.seen.set(userId, (map = new Map()));
    return map;
  }

  private show(message: SimMessage, opts: { forceEdited?: boolean } = {}): void {
    const seen = this.seenBy(this.current.user.id);
    const before = seen.get(message.id);
    const edited = opts.forceEdited ?? (before !== undefined && before.fingerprint !== fingerprint(message));
    renderMessage(message, this.renderOptions(message, edited)).forEach((l) => this.out(l));
    seen.set(message.id, { fingerprint: fingerprint(message), channelId: message.channel_id });
    this.shownAt.set(message.id, ++this.shownSeq);
  }

  /** New or changed channel posts the current user can see, and posts that were deleted. */
  private showChannelChanges(alreadyShown: Set<string>): void {
    const seen = this.seenBy(this.current.user.id);
    const channels = this.visibleChannels(this.current.user.id);
    for (const channelId of channels) {
      const live = this.sim.channelMessages(channelId);
      const liveIds = new Set(live.map((m) => m.id));
      for (const [id, s] of seen) {
        if (s.channelId !== channelId || liveIds.has(id) || alreadyShown.has(id)) continue;
        const gone = this.sim.message(id);
        if (gone?.deleted && !(gone.flags & 64)) {
          this.out(`[#${this.channelName(channelId) ?? channelId}] (a post by ${gone.author.bot === true ? 'the bot' : 'someone'} was deleted)`);
          seen.delete(id);
        }
      }
      for (const m of live) {
        if (alreadyShown.has(m.id)) continue;
        if (seen.get(m.id)?.fingerprint === fingerprint(m)) continue;
        this.show(m);
      }
    }
  }

  // ─── Instructions ─────────────────────────────────────────────────────────────────────────────

  private switchUser(who: string): StepResult {
    const actor = this.actors.find((a) => a.name === who || a.user.username === who || (who === 'francophone' && a.user === this.world.users.francophone));
    if (!actor) {
      this.out(`✗ no user "${who}". Users: ${this.userList().join(', ')}`);
      return { ok: false };
    }
    this.current = actor;
    const user = actor.user;
    this.out(`You are now ${actor.name} (${[user.globalName ?? user.username, actor.about].filter(Boolean).join(', ')}).`);
    // DMs are personal and short: show them. Channel posts only get a count, `channel …` shows them.
    const seen = this.seenBy(user.id);
    const dm = this.sim.dmChannelId(user.id);
    const unread = new Map<string, number>();
    for (const channelId of this.visibleChannels(user.id)) {
      for (const m of this.sim.channelMessages(channelId)) {
        if (seen.get(m.id)?.fingerprint === fingerprint(m)) continue;
        if (channelId === dm) this.show(m);
        else unread.set(channelId, (unread.get(channelId) ?? 0) + 1);
      }
    }
    for (const [channelId, n] of unread) {
      const name = this.channelName(channelId) ?? channelId;
      const alias = Object.entries(CHANNEL_ALIASES).find(([, full]) => full === name)?.[0] ?? name;
      this.out(`${n} new or updated post${n === 1 ? '' : 's'} in #${name} (channel ${alias})`);
    }
    return { ok: true };
  }

  private setLocale(locale: string | null): StepResult {
    const user = this.sim.user(this.current.user.id);
    if (!locale) {
      this.out(`${this.current.name}'s Discord language: ${user?.locale ?? this.current.user.locale}`);
      return { ok: true };
    }
    const wanted = LOCALE_SHORTHAND[locale.toLowerCase()] ?? DISCORD_LOCALES.find((l) => l.toLowerCase() === locale.toLowerCase());
    if (!wanted) {
      this.out(`✗ Discord has no locale "${locale}". Try: ${DISCORD_LOCALES.join(', ')}`);
      return { ok: false };
    }
    // The interaction's locale is the member's client language, so this is what changes on Discord too.
    this.sim.setUserLocale(this.current.user.id, wanted);
    this.out(`${this.current.name}'s Discord language is now ${wanted}.`);
    return { ok: true };
  }

  private resolveChannel(name: string): string | null | undefined {
    if (name === 'dm') return this.sim.dmChannelId(this.current.user.id) ?? null;
    const channels = this.world.guild.channels;
    const exact = channels[CHANNEL_ALIASES[name] ?? name];
    if (exact) return exact;
    const prefixed = Object.keys(channels).filter((c) => c.startsWith(name));
    return prefixed.length === 1 ? channels[prefixed[0] ?? ''] : undefined;
  }

  private showChannel(name: string, count: number): StepResult {
    const channelId = this.resolveChannel(name);
    if (channelId === null) {
      this.out('(the bot has not sent you any DM yet)');
      return { ok: true };
    }
    if (!channelId) {
      this.out(`✗ no channel "${name}". Channels: ${Object.keys(this.world.guild.channels).join(', ')}, dm`);
      return { ok: false };
    }
    const label = this.channelName(channelId) ?? 'DM';
    if (!this.canSee(this.current.user.id, channelId)) {
      const who = this.actors.filter((a) => this.canSee(a.user.id, channelId)).map((a) => a.name);
      this.out(`✗ ${this.current.name} cannot see #${label}.${who.length ? ` Try as ${who.join(' or as ')}.` : ''}`);
      return { ok: false };
    }
    const posts = this.sim.channelMessages(channelId).slice(-count);
    if (posts.length === 0) this.out(`(no posts in ${channelId === this.sim.dmChannelId(this.current.user.id) ? 'your DMs' : `#${label}`} yet)`);
    for (const m of posts) this.show(m);
    return { ok: true };
  }

  /** The most recently shown messages first; never-shown ones after, newest first. */
  private candidates(): SimMessage[] {
    const rank = (m: SimMessage) => this.shownAt.get(m.id) ?? 0;
    return this.visibleMessages(this.current.user.id).sort((a, b) => rank(b) - rank(a) || (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
  }

  private async press(label: string, explicit: boolean): Promise<StepResult> {
    const want = normalizeLabel(label);
    for (const message of this.candidates()) {
      const buttons: ComponentView[] = [];
      walkComponents(message.components, (c) => {
        if (c.type === 2) buttons.push(c);
      });
      const exact = buttons.filter((b) => normalizeLabel(buttonLabel(b)) === want);
      const matches = exact.length ? exact : want ? buttons.filter((b) => normalizeLabel(buttonLabel(b)).startsWith(want)) : [];
      if (matches.length === 0) continue;
      const usable = matches.filter((b) => !b.disabled);
      if (usable.length > 1) {
        this.out(`✗ "${label}" could be ${usable.map((b) => `[${buttonLabel(b)}]`).join(' or ')}; type more of the label.`);
        return { ok: false };
      }
      const button = usable[0];
      if (!button) {
        this.out(`✗ [${matches[0] ? buttonLabel(matches[0]) : label}] is disabled on that message.`);
        return { ok: false };
      }
      if (button.style === 5 || button.url) {
        this.out(`[${buttonLabel(button)}] is a link: ${button.url ?? '(no url)'}`);
        return { ok: true };
      }
      const handle = this.sim.pressButton({ message, customId: button.custom_id ?? '', userId: this.current.user.id });
      return this.settle(handle);
    }
    if (explicit) this.out(`✗ no button "${label}" on the messages ${this.current.name} can see.`);
    else this.out(`✗ "${label}" is not a command or a button label here. Slash commands start with /; type help.`);
    return { ok: false };
  }

  /** `select Coding, Writing` picks several options in a menu that allows it. */
  private async select(label: string): Promise<StepResult> {
    const wanted = label.split(',').map((l) => l.trim()).filter(Boolean);
    const pick = (options: NonNullable<ComponentView['options']>, text: string) => {
      const n = normalizeLabel(text);
      return options.find((o) => o.value === text || normalizeLabel(o.label) === n) ?? options.find((o) => normalizeLabel(o.label).startsWith(n));
    };
    for (const message of this.candidates()) {
      let found: { menu: ComponentView; values: string[] } | undefined;
      walkComponents(message.components, (c) => {
        if (found || c.type !== 3 || c.disabled) return;
        if (wanted.length > (c.max_values ?? 1)) return;
        const options = c.options ?? [];
        const values = wanted.map((w) => pick(options, w)?.value);
        if (values.every((v): v is string => v !== undefined)) found = { menu: c, values: [...new Set(values)] };
      });
      if (!found) continue;
      const handle = this.sim.selectMenu({ message, customId: found.menu.custom_id ?? '', userId: this.current.user.id, values: found.values });
      return this.settle(handle);
    }
    this.out(`✗ no menu with ${wanted.length > 1 ? `the options ${wanted.join(', ')} (and room for ${wanted.length})` : `an option "${label}"`} on the messages ${this.current.name} can see.`);
    return { ok: false };
  }

  private async slash(step: SlashStep): Promise<StepResult> {
    const options: Record<string, SlashOptionValue> = {};
    for (const [name, value] of Object.entries(step.options)) {
      const resolved = await this.resolveValue(value);
      if (typeof resolved === 'object' && 'error' in resolved) {
        this.out(`✗ ${name}: ${resolved.error}`);
        return { ok: false };
      }
      options[name] = resolved;
    }
    const where = {
      guildId: this.world.guild.id,
      channelId: this.world.channels.general,
      userId: this.current.user.id,
      name: step.name,
      ...(step.subcommandGroup ? { subcommandGroup: step.subcommandGroup } : {}),
      ...(step.subcommand ? { subcommand: step.subcommand } : {}),
    };
    if (step.focus) {
      const focus = step.focus;
      const choices = await this.sim.autocomplete({ ...where, options: { ...options, [focus.option]: focus.partial }, focused: focus.option });
      this.out(`Suggestions for ${focus.option}${focus.partial ? ` "${focus.partial}"` : ''}:${choices.length ? '' : ' none'}`);
      for (const c of choices) this.out(`  ${String(c.name)}  → /${[step.name, step.subcommandGroup, step.subcommand].filter(Boolean).join(' ')} ${focus.option}:${quoteValue(String(c.value))}`);
      return this.finishStep(true, new Set());
    }
    return this.settle(this.sim.slash({ ...where, options }));
  }

  private async resolveValue(value: OptionValue): Promise<SlashOptionValue | { error: string }> {
    if (typeof value !== 'object') return value;
    return this.resolveRef(value);
  }

  private async resolveRef(ref: Ref): Promise<SlashOptionValue | { error: string }> {
    const text = ref.text.replace(/^[@#]/, '').replace(/^<[@#&!]*(\d+)>$/, '$1');
    const lower = text.toLowerCase();
    const user = this.actors.map((a) => a.user).find((u) => u.id === text || u.username === lower || u.globalName?.toLowerCase() === lower) ??
      this.actors.find((a) => a.name === lower)?.user;
    const role = Object.entries(this.world.guild.roles).find(([name, id]) => id === text || name.toLowerCase() === text.toLowerCase())?.[1];
    switch (ref.ref) {
      case 'file':
        return this.readAttachment(ref.text);
      case 'user':
        return user ? user.id : { error: `no user "${ref.text}" (users: ${this.actors.map((a) => a.name).join(', ')})` };
      case 'role':
        return role ?? { error: `no role "${ref.text}" (roles: ${Object.keys(this.world.guild.roles).join(', ')})` };
      case 'mentionable':
        return user?.id ?? role ?? { error: `no user or role "${ref.text}"` };
      case 'channel':
        return this.resolveChannel(text.toLowerCase()) ?? { error: `no channel "${ref.text}" (channels: ${Object.keys(this.world.guild.channels).join(', ')})` };
    }
  }

  private async readAttachment(file: string): Promise<AttachmentInput | { error: string }> {
    const tried = path.isAbsolute(file) ? [file] : this.fileDirs.map((d) => path.resolve(d, file));
    for (const candidate of tried) {
      const bytes = await readFile(candidate).catch(() => null);
      if (!bytes) continue;
      const filename = path.basename(candidate);
      const contentType = CONTENT_TYPES[path.extname(filename).toLowerCase()];
      return { bytes, filename, ...(contentType ? { contentType } : {}) };
    }
    return { error: `cannot read ${file} (looked in ${tried.join(', ')})` };
  }

  // ─── Answers ──────────────────────────────────────────────────────────────────────────────────

  /** Waits until the bot is done with the interaction, then shows everything it produced. */
  private async settle(handle: InteractionHandle): Promise<StepResult> {
    let ack;
    try {
      ack = await handle.acknowledged();
    } catch {
      this.out(`✗ no answer: the bot did not acknowledge the interaction in time (${handle.describe()}).`);
      return this.finishStep(false, new Set());
    }
    if (ack.type === 9) return this.fillModal(handle);
    const [handled, deferredReply] = await Promise.all([
      this.log.handled(handle.id, this.stepTimeoutMs),
      // A deferred reply's "thinking…" message has neither content nor embeds: wait for the edit.
      ack.type === 5 ? handle.waitForReply(nonEmpty, this.stepTimeoutMs).catch(() => null) : null,
    ]);
    let ok = true;
    if (!handled) {
      this.out(`✗ the bot was still working on this after ${this.stepTimeoutMs / 1000} s (${handle.describe()}).`);
      ok = false;
    } else if (handled.outcome !== 'ok') {
      this.out(`✗ the bot reported an ${handled.outcome}${handled.ref ? ` (ref ${handled.ref})` : ''}; see the log lines below.`);
      ok = false;
    }
    const shown = new Set<string>();
    let original: SimMessage | undefined;
    if (ack.type === 4 || ack.type === 7) original = handle.original;
    else if (ack.type === 5) {
      original = deferredReply ? handle.original : undefined;
      if (!original) {
        this.out('✗ the bot deferred its reply ("thinking…") and never sent it.');
        ok = false;
      }
    } else if (ack.type === 6) {
      // A deferred update may legitimately change nothing; the bot is done, so the edit is there or never comes.
      original = (await handle.waitForReply(undefined, 1).catch(() => null)) ?? undefined;
    }
    if (original) {
      this.show(original, ack.type === 6 || ack.type === 7 ? { forceEdited: true } : {});
      shown.add(original.id);
    }
    for (const f of handle.followUps) {
      if (shown.has(f.id)) continue;
      this.show(f);
      shown.add(f.id);
    }
    for (const e of handle.errors) {
      this.out(`! Discord answered ${e.status} ${e.code} "${e.message}" on ${e.route}`);
      ok = false;
    }
    return this.finishStep(ok, shown);
  }

  private async fillModal(handle: InteractionHandle): Promise<StepResult> {
    const modal = handle.modal ?? {};
    this.out(`[form] ${String(modal.title ?? 'Form')} (press Enter to leave a field empty)`);
    const fields: Record<string, string> = {};
    for (const input of modalInputs(modal)) {
      const hint = input.placeholder ? ` (${input.placeholder})` : '';
      let value: string | null = null;
      for (;;) {
        value = await this.ask(`  ${input.label}${input.required ? ' *' : ''}${hint}: `);
        if (value === null) {
          this.out('✗ the form was left unanswered (no more input).');
          return this.finishStep(false, new Set());
        }
        if (value !== '' || !input.required) break;
        this.out(`  ${input.label} is required.`);
      }
      fields[input.customId] = value;
    }
    return this.settle(this.sim.submitModal({ from: handle, fields }));
  }

  /** Channel changes, then anything the simulator or the bot's log flagged while the step ran. */
  private finishStep(ok: boolean, shown: Set<string>): StepResult {
    this.showChannelChanges(shown);
    let result = ok;
    const violations = this.sim.violations.slice(this.violationsSeen);
    this.violationsSeen = this.sim.violations.length;
    for (const v of violations) {
      this.out(`!!! DISCORD WOULD REJECT THIS (${v.kind}): ${v.method} ${v.route}`);
      for (const issue of v.issues) this.out(`!!!   ${issue.path.join('.') || '(body)'}: ${issue.message}`);
      result = false;
    }
    const routes = this.sim.unknownRoutes.slice(this.unknownRoutesSeen);
    this.unknownRoutesSeen = this.sim.unknownRoutes.length;
    for (const r of routes) this.out(`! the bot called ${r.method} ${r.path}, which the simulator does not implement${r.knownToDiscord ? ' (Discord does)' : ''}`);
    const mentions = this.sim.mentionWarnings.slice(this.mentionWarningsSeen);
    this.mentionWarningsSeen = this.sim.mentionWarnings.length;
    for (const w of mentions) this.out(`! this message would ping ${w.mentions.join(', ')}: ${w.route}`);
    for (const n of this.log.takeNotices()) {
      this.out(`! bot ${n.level}: ${n.text}`);
      if (n.level !== 'warn') result = false;
    }
    return { ok: result };
  }
}

type ModalInput = { customId: string; label: string; placeholder?: string; required: boolean };

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function obj(v: unknown): JsonObject | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

/** Text inputs in a modal, in rows (legacy) or in label components (type 18). */
export function modalInputs(modal: JsonObject): ModalInput[] {
  const inputs: ModalInput[] = [];
  const visit = (node: unknown, label?: string): void => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, label));
    const o = obj(node);
    if (!o) return;
    if (o.type === 4) {
      const placeholder = str(o.placeholder);
      inputs.push({ customId: str(o.custom_id) ?? '', label: label ?? str(o.label) ?? str(o.custom_id) ?? 'field', required: o.required !== false, ...(placeholder ? { placeholder } : {}) });
      return;
    }
    if (o.type === 18) return visit(o.component, str(o.label));
    visit(o.components, label);
  };
  visit(modal.components);
  return inputs;
}

function quoteValue(v: string): string {
  return /[\s"]/.test(v) ? `"${v.replace(/"/g, '\\"')}"` : v;
}

/** Adds a view overwrite for the bot's role to a channel, keeping the overwrites it has. */
async function letBotSee(sim: DiscordSimulator, world: DemoWorld, channelId: string): Promise<void> {
  if ((sim.permissionsFor(channelId) & Permissions.ViewChannel) !== 0n) return;
  // The simulator has no getter for overwrites. GET /channels/{id} answers Missing Access for a
  // channel the bot cannot see, but the guild's channel list carries every channel's overwrites.
  const res = await fetch(`${sim.restUrl}/v10/guilds/${world.guild.id}/channels`, { headers: { authorization: `Bot ${sim.token}` } });
  if (!res.ok) throw new Error(`could not read the demo server's channels: ${res.status}`);
  const listed: unknown = await res.json();
  const channel = (Array.isArray(listed) ? listed : []).map(obj).find((c) => c?.id === channelId);
  const existing = channel?.permission_overwrites;
  if (!Array.isArray(existing)) throw new Error(`channel ${channelId} is not in the demo server's channel list`);
  const overwrites: OverwriteSpec[] = existing.flatMap((o) => {
    const ow = obj(o);
    const id = str(ow?.id);
    if (!ow || !id) return [];
    return [{
      id: id === world.guild.id ? '@everyone' : id,
      type: ow.type === 1 ? ('member' as const) : ('role' as const),
      allow: BigInt(str(ow.allow) ?? '0'),
      deny: BigInt(str(ow.deny) ?? '0'),
    }];
  });
  const users = Object.values(world.users);
  const before = users.map((u) => sim.permissionsFor(channelId, u.id));
  sim.setChannelOverwrites(channelId, [...overwrites, { id: world.guild.botRoleId, type: 'role', allow: Permissions.ViewChannel }]);
  if (users.some((u, i) => sim.permissionsFor(channelId, u.id) !== before[i])) {
    throw new Error(`letting the bot into channel ${channelId} changed what members may do there`);
  }
}
