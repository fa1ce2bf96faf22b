// What every page of the console gets, and gives back.
import type { Overview } from './api.ts';

export interface PageContext {
  /** Where the page draws itself; empty when it starts. */
  main: HTMLElement;
  /** The hash's query: a list's filters and cursor. */
  params: URLSearchParams;
  /** The id in the hash (#/deliveries/12), for pages of one thing. */
  id: string | undefined;
  /** Hand on what GET /admin/overview answered (DRY_RUN shows on every page). */
  sawOverview: (overview: Overview) => void;
}

/** Draws the page; may return what stops it (timers) when the operator leaves. */
export type Page = (context: PageContext) => (() => void) | undefined;
