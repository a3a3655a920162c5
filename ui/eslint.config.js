// ESLint for the window: JavaScript's and typescript-eslint's recommended rules, and eslint-plugin-svelte's
// (which knows runes and `{@html}`). Formatting is Prettier's job, so no style rules here.
import js from "@eslint/js";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import ts from "typescript-eslint";

import svelteConfig from "./svelte.config.js";

export default ts.config(
  { ignores: ["dist/", "node_modules/", "src/lib/ipc/generated/"] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  { languageOptions: { globals: { ...globals.browser, ...globals.node } } },
  {
    files: ["**/*.svelte", "**/*.svelte.ts"],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: [".svelte"], svelteConfig } },
  },
  {
    rules: {
      // `_`-prefixed names are deliberately unused (a callback's ignored argument).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Collections in state classes that the UI reads are SvelteMap/SvelteSet already; the plain ones
      // left (timer handles, a batch grouped per answer, a page's known ids) are deliberately not reactive.
      "svelte/prefer-svelte-reactivity": "off",
    },
  },
);
