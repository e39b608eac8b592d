import { useEffect } from 'preact/hooks';
import { navigate, VIEWS } from './route';

/** Elements views mark: `data-search` (the field `/` focuses) and `data-reload` (the button `r` presses). */
export function useShortcuts(): void {
  useEffect(() => {
    const pressed = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      const view = VIEWS[Number(event.key) - 1];
      if (view) return navigate(view.id);
      if (event.key === '/') {
        const field = document.querySelector<HTMLElement>('[data-search]');
        if (field) {
          event.preventDefault();
          field.focus();
        }
      } else if (event.key === 'r') {
        document.querySelector<HTMLElement>('[data-reload]')?.click();
      }
    };
    addEventListener('keydown', pressed);
    return () => removeEventListener('keydown', pressed);
  }, []);
}

function isTyping(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
  );
}
