// What answers use, to be rendered once off screen at start (WarmUp.svelte): highlight.js compiles a
// language's grammar on first use, and WebKit finds the code and math fonts the first time text needs
// them; together these cost two ~90 ms frames just as the first answer with code started streaming.
export const WARM_UP_SAMPLES: readonly string[] = [
  "| a | b |\n|---|---|\n| $x^2$ | **b** `c` |\n\n$$\\frac{1}{2}$$",
  ...["python", "javascript", "typescript", "rust", "cpp", "bash", "json", "java", "go", "sql"].map(
    (lang) => "```" + lang + '\nlet x = f(1, "a") // c\n```',
  ),
];
