// How a token string is shown: as text (never HTML), with whitespace-only tokens (newline, space,
// tab) written as escapes so no label is blank.
export function visibleToken(text: string): string {
  return text.trim() === '' ? JSON.stringify(text).slice(1, -1).replace(/ /g, '␣') || '∅' : text;
}
