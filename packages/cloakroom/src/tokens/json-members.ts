/**
 * Whether a JSON text has an object with the same member name twice (RFC 8259 leaves the meaning open;
 * `JSON.parse` silently keeps the last one, so two parsers could disagree on a token's claims). Names are
 * compared after unescaping, so `"sub"` and `"\u0073ub"` are the same name.
 *
 * Call it only on text that `JSON.parse` accepted: the scanner relies on the text being valid JSON and only
 * tracks strings and object/array nesting.
 */
export function hasDuplicateMember(text: string): boolean {
  // One frame per open object or array: the member names seen so far (null for arrays).
  const frames: (Set<string> | null)[] = [];
  // Whether the next string in the current object is a member name (after `{` or `,`).
  let expectName = false;
  let i = 0;
  while (i < text.length) {
    const char = text.charCodeAt(i);
    if (char === 0x22 /* " */) {
      const end = endOfString(text, i);
      const frame = frames[frames.length - 1];
      if (expectName && frame) {
        const name = JSON.parse(text.slice(i, end)) as string;
        if (frame.has(name)) return true;
        frame.add(name);
      }
      expectName = false;
      i = end;
      continue;
    }
    if (char === 0x7b /* { */) {
      frames.push(new Set());
      expectName = true;
    } else if (char === 0x5b /* [ */) {
      frames.push(null);
      expectName = false;
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      frames.pop();
      expectName = false;
    } else if (char === 0x2c /* , */) {
      expectName = frames[frames.length - 1] instanceof Set;
    }
    i++;
  }
  return false;
}

/** The index just past the closing quote of the string literal that opens at `start`. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const char = text.charCodeAt(i);
    if (char === 0x5c /* \ */) i += 2;
    else if (char === 0x22) return i + 1;
    else i++;
  }
  return text.length;
}
