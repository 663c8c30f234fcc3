import { describe, expect, it } from "vitest";

/** Every source file's text, read at build time (tests run in workerd, which has no file system). */
const sources = import.meta.glob("../src/**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<
  string,
  string
>;

/** The layers, lowest first: a file may import from its own layer or a lower one (STYLE.md, habit 13). */
const LAYERS = ["lib", "db", "middleware", "modules", "app"] as const;
type Layer = (typeof LAYERS)[number];

function layerOf(file: string): Layer {
  if (file.startsWith("src/lib/") || file === "src/app-info.ts") return "lib";
  if (file.startsWith("src/db/")) return "db";
  if (file.startsWith("src/middleware/") || file === "src/env.ts") return "middleware";
  if (file.startsWith("src/modules/")) return "modules";
  return "app"; // src/app.ts, src/index.ts, src/jobs/, src/durable/ (Durable Object classes, like jobs: entry points)
}

/** The module a file belongs to (`src/modules/<name>/...`), if any. */
const moduleOf = (file: string) => /^src\/modules\/([^/]+)\//.exec(file)?.[1];

/** The source file a relative import names, as a path from the repository root. */
function resolve(from: string, spec: string, files: ReadonlySet<string>): string {
  const parts = from.split("/").slice(0, -1);
  for (const seg of spec.split("/")) {
    if (seg === "..") parts.pop();
    else if (seg !== ".") parts.push(seg);
  }
  const base = parts.join("/");
  return [`${base}.ts`, `${base}/index.ts`].find((f) => files.has(f)) ?? base;
}

/** The relative imports (and re-exports) of a file, type-only ones included. */
function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"/g)].flatMap((m) =>
    m[1] ? [m[1]] : [],
  );
}

/** Every import that points the wrong way, as "from -> to: why". */
function violations(files: Record<string, string>): string[] {
  const names = new Set(Object.keys(files));
  const out: string[] = [];
  for (const [from, text] of Object.entries(files)) {
    for (const spec of importsOf(text)) {
      const to = resolve(from, spec, names);
      if (!to.startsWith("src/")) continue;
      const [a, b] = [layerOf(from), layerOf(to)];
      if (LAYERS.indexOf(b) > LAYERS.indexOf(a)) out.push(`${from} -> ${to}: ${a} may not import ${b}`);
      const target = moduleOf(to);
      if (target && target !== moduleOf(from) && to !== `src/modules/${target}/index.ts`) {
        out.push(`${from} -> ${to}: another module is reached only through its index.ts`);
      }
    }
  }
  return out;
}

/** Module → the modules it imports. */
function moduleGraph(files: Record<string, string>): Map<string, Set<string>> {
  const names = new Set(Object.keys(files));
  const graph = new Map<string, Set<string>>();
  for (const [from, text] of Object.entries(files)) {
    const source = moduleOf(from);
    if (!source) continue;
    const edges = graph.get(source) ?? new Set<string>();
    graph.set(source, edges);
    for (const spec of importsOf(text)) {
      const target = moduleOf(resolve(from, spec, names));
      if (target && target !== source) edges.add(target);
    }
  }
  return graph;
}

/** A cycle among modules, as a path, or undefined. */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const visit = (node: string, path: string[]): string[] | undefined => {
    if (state.get(node) === "visiting") return [...path.slice(path.indexOf(node)), node];
    if (state.get(node) === "done") return undefined;
    state.set(node, "visiting");
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next, [...path, node]);
      if (cycle) return cycle;
    }
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node, []);
    if (cycle) return cycle;
  }
  return undefined;
}

const tree = Object.fromEntries(Object.entries(sources).map(([path, text]) => [path.replace(/^\.\.\//, ""), text]));

describe("import direction", () => {
  it("reads the whole source tree", () => {
    expect(Object.keys(tree)).toContain("src/app.ts");
    expect(Object.keys(tree).length).toBeGreaterThan(50);
  });

  it("has no import pointing from a lower layer to a higher one, nor into another module's internals", () => {
    expect(violations(tree)).toEqual([]);
  });

  it("has no cycle among modules", () => {
    expect(findCycle(moduleGraph(tree))).toBeUndefined();
  });

  it("reports a library file that imports a module", () => {
    const found = violations({
      "src/lib/x.ts": 'import { y } from "../modules/trainings";',
      "src/modules/trainings/index.ts": "export const y = 1;",
    });
    expect(found).toEqual(["src/lib/x.ts -> src/modules/trainings/index.ts: lib may not import modules"]);
  });

  it("reports a module that reaches into another module's files", () => {
    const found = violations({
      "src/modules/a/service.ts": 'import type { Row } from "../b/repository";',
      "src/modules/b/repository.ts": "export type Row = 1;",
    });
    expect(found).toEqual([
      "src/modules/a/service.ts -> src/modules/b/repository.ts: another module is reached only through its index.ts",
    ]);
  });

  it("reports a cycle between two modules", () => {
    const graph = moduleGraph({
      "src/modules/a/index.ts": 'export { b } from "../b";',
      "src/modules/b/index.ts": 'export { a } from "../a";',
    });
    expect(findCycle(graph)).toEqual(["a", "b", "a"]);
  });
});

describe("per-request habits", () => {
  it("reads context variables with c.get(), never c.var (which Hono rebuilds from its map on each access)", () => {
    const uses = Object.entries(tree).flatMap(([file, text]) => (/\bc\.var\b/.test(text) ? [file] : []));
    expect(uses).toEqual([]);
  });
});

describe("what the bundle keeps", () => {
  it("imports zod only as zod/mini (its classic API keeps every schema type and format in the bundle) and Hono's router class only through src/middleware/route.ts", () => {
    const classicZod = Object.entries(tree).flatMap(([file, text]) =>
      /from "zod(\/v4)?(\/classic)?"|from "@hono\/zod-openapi"/.test(text) ? [file] : [],
    );
    const honoClass = Object.entries(tree).flatMap(([file, text]) =>
      /import \{[^}]*\bHono\b[^}]*\} from "hono"/.test(text) ? [file] : [],
    );
    expect(classicZod).toEqual([]);
    expect(honoClass).toEqual([]);
  });
});
