/**
 * The console's only script, a progressive enhancement: every page works without it.
 * - Live refresh: a page whose <main> carries data-refresh="<seconds>" (one that shows live runs)
 *   re-fetches itself on that period while the tab is visible and swaps in the new <main>; it stops
 *   when the new page no longer asks for it. Forms being typed into are never replaced.
 * - Copy buttons: [data-copy] copies its value to the clipboard.
 */
export const clientScript = `
(() => {
  const swap = async () => {
    const main = document.querySelector('main[data-refresh]');
    if (!main) return;
    const period = Math.max(2, Number(main.dataset.refresh) || 5) * 1000;
    const active = document.activeElement;
    const typing = active && active.closest && active.closest('main form') && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
    if (!document.hidden && !typing) {
      try {
        const res = await fetch(location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
        if (res.ok && res.url === location.href) {
          const next = new DOMParser().parseFromString(await res.text(), 'text/html').querySelector('main');
          if (next) { main.replaceWith(next); document.dispatchEvent(new Event('console:refreshed')); }
        }
      } catch (e) { /* offline for a moment: try again next period */ }
    }
    if (document.querySelector('main[data-refresh]')) setTimeout(swap, period);
  };
  const first = document.querySelector('main[data-refresh]');
  if (first) setTimeout(swap, Math.max(2, Number(first.dataset.refresh) || 5) * 1000);
  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('[data-copy]');
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.dataset.copy).then(() => { button.textContent = 'copied'; });
  });
  for (const button of document.querySelectorAll('[data-copy]')) button.hidden = false;
})();
`;
