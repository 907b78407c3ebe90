const DISCORD_EPOCH = 1_420_070_400_000n;

/** Discord-shaped snowflakes so discord.js can derive creation times from ids. */
export class SnowflakeGenerator {
  private increment = 0n;

  constructor(private readonly now: () => number) {}

  next(): string {
    const timestamp = BigInt(this.now()) - DISCORD_EPOCH;
    const id = (timestamp << 22n) | (1n << 17n) | (this.increment & 0xfffn);
    this.increment += 1n;
    return id.toString();
  }
}
