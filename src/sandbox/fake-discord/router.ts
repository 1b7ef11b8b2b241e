import type { ReceivedFile } from './http-body.ts';

export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  files: ReceivedFile[];
}

export interface RouteResult {
  status: number;
  body?: unknown;
}

export type RouteHandler = (req: RouteRequest) => RouteResult | Promise<RouteResult>;

export interface Route {
  method: string;
  /** e.g. /channels/:channel/messages/:message; static segments are matched before parameters by order. */
  pattern: string;
  /** Interaction callbacks and webhook calls carry no bot token. */
  auth: boolean;
  handler: RouteHandler;
}

/** Splits a raw URL path into decoded segments (discord.js percent-encodes `@original` and emoji). */
export function decodeSegments(rawPath: string): string[] {
  return rawPath
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function matchRoute(
  routes: Route[],
  method: string,
  segments: string[],
): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const parts = route.pattern.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = parts.every((p, i) => {
      const seg = segments[i]!;
      if (p.startsWith(':')) return ((params[p.slice(1)] = seg), true);
      return p === seg;
    });
    if (ok) return { route, params };
  }
  return undefined;
}
