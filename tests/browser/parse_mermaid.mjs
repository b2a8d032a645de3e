// Parse Mermaid text with the mermaid package's own parser (a DOM from jsdom: mermaid expects one).
// Usage: node parse_mermaid.mjs FILE   Exit 0 and print the diagram type, or exit 1 with the error.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
try {
  const result = await mermaid.parse(readFileSync(process.argv[2], "utf8"));
  console.log(result.diagramType);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
