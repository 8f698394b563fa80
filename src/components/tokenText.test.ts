import { describe, expect, it } from 'vitest';
import { visibleToken } from './tokenText';

describe('visibleToken', () => {
  it('keeps ordinary tokens (leading spaces and markup included) as they are', () => {
    expect(visibleToken(' world')).toBe(' world');
    expect(visibleToken('<img src=x>')).toBe('<img src=x>');
  });
  it('writes whitespace-only tokens as escapes and spaces as ␣', () => {
    expect(visibleToken('\n')).toBe('\\n');
    expect(visibleToken('\n\n')).toBe('\\n\\n');
    expect(visibleToken(' ')).toBe('␣');
    expect(visibleToken('\t ')).toBe('\\t␣');
    expect(visibleToken('')).toBe('∅');
  });
});
