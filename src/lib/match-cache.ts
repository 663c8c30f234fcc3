import type { Result, Router } from "hono/router";

/** Paths longer than this are matched every time (no real route is that long; probes are). */
const MAX_CACHED_PATH = 200;

/**
 * A router that remembers its answers: `method path` → the handlers and parameters `router` found,
 * for the `size` most recently added paths. Our routes put a fixed segment and a parameter in the
 * same place (`/users/me`, `/users/{id}`), which Hono's RegExpRouter refuses, so Hono matches with
 * its TrieRouter, walking the tree on every request; a repeat request (the same list, the same
 * user) now costs one Map lookup. A match depends only on method and path, and Hono never modifies
 * a match result, so an answer can be handed out again.
 */
export class MatchCache<T> implements Router<T> {
  readonly name: string;
  readonly #router: Router<T>;
  readonly #size: number;
  readonly #answers = new Map<string, Result<T>>();

  constructor(router: Router<T>, size = 2000) {
    this.#router = router;
    this.#size = size;
    this.name = `MatchCache + ${router.name}`;
  }

  add(method: string, path: string, handler: T): void {
    this.#answers.clear();
    this.#router.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    if (path.length > MAX_CACHED_PATH) return this.#router.match(method, path);
    const key = `${method} ${path}`;
    let answer = this.#answers.get(key);
    if (answer === undefined) {
      answer = this.#router.match(method, path);
      // The oldest answer makes room (a Map iterates in insertion order).
      if (this.#answers.size >= this.#size) this.#answers.delete(this.#answers.keys().next().value as string);
      this.#answers.set(key, answer);
    }
    return answer;
  }
}
