// How a vote went, from the chains saved in a thread: the outcome, and the other answers the chains
// reached (each with how many gave it and its first chain, one click away as a branch).
import type { Message, Thread, VoteResult } from "../ipc/types";

export interface OtherAnswer {
  key: string;
  shown: string;
  count: number;
  /** Its first chain, to show. */
  first: number;
}

export interface VoteSummary {
  result: VoteResult;
  agreeing: number;
  chains: number;
  /** Answers other than this chain's, most chains first. */
  others: OtherAnswer[];
  /** In a tie, each tied answer (this chain's first) and how many chains gave it; else empty. */
  tied: { shown: string; count: number }[];
}

/** The vote `message` is a chain of, or null when it is none. */
export function voteSummary(thread: Thread, message: Message): VoteSummary | null {
  const vote = message.vote;
  if (!vote) return null;
  const chains = thread.messages
    .filter((m) => m.vote?.vote_id === vote.vote_id)
    .sort((a, b) => (a.vote?.position ?? 0) - (b.vote?.position ?? 0));
  const others = new Map<string, OtherAnswer>();
  for (const m of chains) {
    const key = m.vote?.answer_key;
    if (!key || key === vote.answer_key) continue;
    const seen = others.get(key);
    if (seen) seen.count += 1;
    else others.set(key, { key, shown: m.vote?.answer ?? key, count: 1, first: m.id });
  }
  const sorted = [...others.values()].sort((a, b) => b.count - a.count);
  const tied =
    vote.result === "tie"
      ? [
          { shown: vote.answer ?? vote.answer_key ?? "", count: vote.agreeing },
          ...sorted.filter((o) => o.count === vote.agreeing).map((o) => ({ shown: o.shown, count: o.count })),
        ]
      : [];
  return { result: vote.result, agreeing: vote.agreeing, chains: vote.chains, others: sorted, tied };
}
