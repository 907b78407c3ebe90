/**
 * Access to Discord's own OpenAPI-derived schemas (npm `discord-api-spec`).
 *
 * The package ships its typings as raw `.ts` files that do not compile under this repo's
 * `verbatimModuleSyntax` + NodeNext settings (and the zod entry has no typings at all), so it is
 * loaded through a non-literal dynamic import and narrowed at run time instead of being declared
 * globally, which would leak a module declaration into everybody else's code.
 */
import * as z from 'zod/mini';

export type Schema = z.core.$ZodType;

export interface SpecModules {
  /** Every route template per lower-case HTTP method, e.g. `pathsList.post`. */
  readonly pathsList: Readonly<Record<string, readonly string[]>>;
  schema(name: string): Schema;
}

const ROOT_SPECIFIER: string = 'discord-api-spec';
const ZOD_SPECIFIER: string = 'discord-api-spec/zod';

const RootModuleShape = z.object({
  pathsList: z.record(z.string(), z.array(z.string())),
});

export function isSchema(value: unknown): value is Schema {
  if (typeof value !== 'object' || value === null || !('_zod' in value)) return false;
  const internals: unknown = value._zod;
  return typeof internals === 'object' && internals !== null && 'def' in internals;
}

let loading: Promise<SpecModules> | undefined;

export function loadSpec(): Promise<SpecModules> {
  loading ??= (async () => {
    const root: unknown = await import(ROOT_SPECIFIER);
    const zodModule: unknown = await import(ZOD_SPECIFIER);
    const { pathsList } = RootModuleShape.parse(root);
    if (typeof zodModule !== 'object' || zodModule === null) {
      throw new Error('discord-api-spec/zod did not load as a module');
    }
    const exports = new Map<string, unknown>(Object.entries(zodModule));
    return {
      pathsList,
      schema(name: string): Schema {
        const found = exports.get(name);
        if (!isSchema(found)) throw new Error(`discord-api-spec/zod has no schema named ${name}`);
        return found;
      },
    };
  })();
  return loading;
}
