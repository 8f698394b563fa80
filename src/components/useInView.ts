// Whether an element is on screen (or within 200 px of it). Views redraw their D3 figures only
// while visible: a router swap then redraws what the user can see, and a view scrolled into
// sight redraws at once with the current data. Without IntersectionObserver (tests), always true.
import { useEffect, useRef, useState, type RefObject } from 'react';

export function useInView(ref: RefObject<Element | null>): boolean {
  const [visible, setVisible] = useState(true);
  const watched = useRef<{ node: Element; io: IntersectionObserver } | null>(null);
  // The observed element may mount later (figures appear once there is data): check each commit.
  useEffect(() => {
    const node = ref.current;
    if (watched.current?.node === node) return;
    watched.current?.io.disconnect();
    watched.current = null;
    if (!node || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => setVisible(entries.some((e) => e.isIntersecting)), { rootMargin: '200px' });
    io.observe(node);
    watched.current = { node, io };
  });
  useEffect(() => () => watched.current?.io.disconnect(), []);
  return visible;
}
