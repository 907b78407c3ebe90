// "Made in Europe" is derived from an alternative's country_code, so kb/alternatives.yaml
// needs no extra field: the EU, the rest of the European Economic Area, Switzerland and the UK.
export const EUROPEAN_COUNTRY_CODES: ReadonlySet<string> = new Set([
  // European Union
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE',
  'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE',
  // EEA outside the EU, Switzerland, United Kingdom
  'IS', 'LI', 'NO', 'CH', 'GB',
]);

export function isEuropean(countryCode: string): boolean {
  return EUROPEAN_COUNTRY_CODES.has(countryCode.toUpperCase());
}
