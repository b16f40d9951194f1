import { useEffect } from 'preact/hooks';

/** The tab's title names the page, for people with many tabs and for screen readers. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · hoop-gateway console`;
  }, [title]);
}
