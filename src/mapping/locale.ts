// A rule's `when: { locale }`: the customer's language, as a tag or a list of tags. A tag matches
// itself and its region variants (zh matches zh-TW and zh-HK; zh-TW matches zh-TW only), case and
// `_` or `-` aside, so a mapping holds a rule per language ahead of a default rule without one.

/** The canonical form of a language tag: lower case, `-` between its parts. */
export const canonicalLocale = (tag: string): string => tag.trim().replaceAll('_', '-').toLowerCase();

/** Whether the customer's locale is one of `wanted` (each already canonical) or a variant of one. */
export function localeMatches(wanted: readonly string[], locale: string | undefined): boolean {
  if (locale === undefined) return false;
  const given = canonicalLocale(locale);
  return wanted.some((tag) => given === tag || given.startsWith(`${tag}-`));
}
