/**
 * The comparison key of a role or organization name, stored in `name_key` and unique where the name
 * must be: two names with one key look alike to a person. Compatibility forms fold (NFKC: `ＡＤＭＩＮ`),
 * invisible characters and Latin-style accents (combining diacritics) drop (`A\u200BDMIN`, `ÁDMIN`), Greek and Cyrillic letters that
 * look like Latin ones become those (`ΑDMIN` with a Greek alpha, `АDMIN` with a Cyrillic one),
 * whitespace runs become one space, and case folds. A compact subset of Unicode's
 * confusables (UTS #39) for the scripts that imitate Latin; names in other scripts keep their
 * letters.
 */
export function nameKey(name: string): string {
  const folded = name
    .normalize("NFKC")
    .normalize("NFD")
    .replace(/[\u0300-\u036f\p{Default_Ignorable_Code_Point}]/gu, "")
    .normalize("NFC");
  let out = "";
  for (const ch of folded) out += LOOKALIKES.get(ch) ?? ch;
  return out.toLowerCase().replace(/\s+/gu, " ").trim();
}

/** Greek and Cyrillic letters (both cases) that look like a Latin letter. */
const LOOKALIKES = new Map<string, string>(
  [
    "ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX αa βb εe ιi κk νv οo ρp τt υu χx ϲc ϳj",
    "АA ВB ЕE ЅS ІI ЈJ КK МM НH ОO РP СC ТT УY ХX ҮY ҺH ԚQ ԜW ӀI",
    "аa вb еe ѕs іi јj кk мm нh оo рp сc тt уy хx үy һh ԁd ԛq ԝw ӏl ёe",
  ]
    .join(" ")
    .split(" ")
    .filter((pair) => pair.length === 2)
    .map((pair) => [pair[0] as string, pair[1] as string]),
);
