//! The problem families `ponder bench-rl` measures: each at the edge of what the bundled model was
//! trained on (longer numbers, other operand orders, words for the operation), where it might get
//! some right by sampling, which reinforcement learning needs.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A family of problems with a checkable final number.
pub(crate) struct Family {
    pub(crate) name: &'static str,
    pub(crate) what: &'static str,
    pub(crate) make: fn(&mut ChaCha8Rng) -> (String, i64),
}

fn digits(rng: &mut ChaCha8Rng, n: u32) -> i64 {
    rng.random_range(10i64.pow(n - 1)..10i64.pow(n))
}

fn one_digit(rng: &mut ChaCha8Rng) -> i64 {
    rng.random_range(2..10)
}

/// Every family, the recipe's phrasing first, then nearer and nearer the edge of its training.
pub(crate) const FAMILIES: [Family; 18] = [
    Family {
        name: "add-5",
        what: "5-digit + 5-digit (trained: up to 4 digits)",
        make: |r| {
            let (a, b) = (digits(r, 5), digits(r, 5));
            (format!("What is {a} + {b}?"), a + b)
        },
    },
    Family {
        name: "add-5-3",
        what: "5-digit + 3-digit",
        make: |r| {
            let (a, b) = (digits(r, 5), digits(r, 3));
            (format!("What is {a} + {b}?"), a + b)
        },
    },
    Family {
        name: "sub-5",
        what: "5-digit − 4-digit",
        make: |r| {
            let (a, b) = (digits(r, 5), digits(r, 4));
            (format!("What is {a} - {b}?"), a - b)
        },
    },
    Family {
        name: "mul-4",
        what: "4-digit × 1-digit (trained: up to 3 × 1)",
        make: |r| {
            let (a, b) = (digits(r, 4), one_digit(r));
            (format!("What is {a} × {b}?"), a * b)
        },
    },
    Family {
        name: "cmp-5",
        what: "the larger of two 5-digit numbers",
        make: |r| loop {
            let a = digits(r, 5);
            let b = a + r.random_range(-999..=999);
            if a != b && (10_000..100_000).contains(&b) {
                break (format!("Which is larger, {a} or {b}?"), a.max(b));
            }
        },
    },
    Family {
        name: "mul-1x3",
        what: "1-digit × 3-digit (trained: the long number first)",
        make: |r| {
            let (a, b) = (one_digit(r), digits(r, 3));
            (format!("What is {a} × {b}?"), a * b)
        },
    },
    Family {
        name: "add-plus",
        what: "4-digit plus 4-digit, the operation in a word",
        make: |r| {
            let (a, b) = (digits(r, 4), digits(r, 4));
            (format!("What is {a} plus {b}?"), a + b)
        },
    },
    Family {
        name: "sub-minus",
        what: "4-digit minus 3-digit, the operation in a word",
        make: |r| {
            let (a, b) = (digits(r, 4), digits(r, 3));
            (format!("What is {a} minus {b}?"), a - b)
        },
    },
    Family {
        name: "mul-times",
        what: "3-digit times 1-digit, the operation in a word",
        make: |r| {
            let (a, b) = (digits(r, 3), one_digit(r));
            (format!("What is {a} times {b}?"), a * b)
        },
    },
    Family {
        name: "add-3-terms",
        what: "the sum of three 2-digit numbers (trained: two)",
        make: |r| {
            let (a, b, c) = (digits(r, 2), digits(r, 2), digits(r, 2));
            (format!("What is {a} + {b} + {c}?"), a + b + c)
        },
    },
    Family {
        name: "add-5-1",
        what: "5-digit + 1-digit",
        make: |r| {
            let (a, b) = (digits(r, 5), one_digit(r));
            (format!("What is {a} + {b}?"), a + b)
        },
    },
    Family {
        name: "add-x",
        what: "4-digit + 4-digit asked as `a+b=?` with no spaces",
        make: |r| {
            let (a, b) = (digits(r, 4), digits(r, 4));
            (format!("{a}+{b}=?"), a + b)
        },
    },
    Family {
        name: "word-add-new",
        what: "the recipe's addition story with names and things it never saw",
        make: |r| {
            let (name, item) = (pick(r, NEW_NAMES), pick(r, NEW_ITEMS));
            let (a, b) = (digits(r, 3), digits(r, 3));
            let q = format!(
                "{name} has {a} {item} and gets {b} more. How many {item} does {name} have now?"
            );
            (q, a + b)
        },
    },
    Family {
        name: "word-sub-new",
        what: "the recipe's subtraction story with names and things it never saw",
        make: |r| {
            let (name, item) = (pick(r, NEW_NAMES), pick(r, NEW_ITEMS));
            let (a, b) = (digits(r, 3), digits(r, 2));
            (format!("{name} has {a} {item} and gives away {b}. How many {item} are left?"), a - b)
        },
    },
    Family {
        name: "word-add-finds",
        what: "the recipe's addition story with another verb (finds, not gets)",
        make: |r| {
            let (a, b) = (digits(r, 3), digits(r, 3));
            (
                format!(
                    "Tom has {a} marbles and finds {b} more. How many marbles does Tom have now?"
                ),
                a + b,
            )
        },
    },
    Family {
        name: "word-mul-bags",
        what: "the recipe's multiplication story with bags, not boxes",
        make: |r| {
            let (a, b) = (digits(r, 2), one_digit(r));
            let q = format!(
                "There are {a} bags with {b} apples in each. How many apples are there in total?"
            );
            (q, a * b)
        },
    },
    Family {
        name: "zh-word-add-picked",
        what: "the recipe's Chinese addition story with another verb (捡到, not 买)",
        make: |r| {
            let (a, b) = (digits(r, 3), digits(r, 3));
            (format!("小明有 {a} 颗弹珠，又捡到了 {b} 颗，一共有多少颗？"), a + b)
        },
    },
    Family {
        name: "everyday",
        what: "the learning loop's everyday shapes, numbers from its held-out side",
        make: |r| {
            let q =
                ponder_train::tasks::everyday::any_question(r, ponder_train::tasks::Split::HeldOut);
            (q.question, q.expected)
        },
    },
];

const NEW_NAMES: &[&str] = &["Kofi", "Ines", "Yuki", "Pavel", "Nadia", "Bruno"];
const NEW_ITEMS: &[&str] = &["shells", "coins", "stamps", "beads", "buttons", "leaves"];

fn pick(rng: &mut ChaCha8Rng, from: &[&'static str]) -> &'static str {
    from[rng.random_range(0..from.len())]
}

/// The family called `name`.
pub(crate) fn family(name: &str) -> anyhow::Result<&'static Family> {
    FAMILIES.iter().find(|f| f.name == name).ok_or_else(|| {
        let names: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
        anyhow::anyhow!("no family {name}: one of {}", names.join(", "))
    })
}
