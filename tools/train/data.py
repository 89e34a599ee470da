"""Arithmetic problems in the L1 prompt format, with budget-conditioned scratchpads.

A problem is rendered exactly as l1 renders a user prompt with the LCPO
instruction (lib/prompt.c, the R1 template of this model's GGUF, which ends
the generation prompt with "<think>\\n"):

  <bos><User>What is A + B? Let's think step by step and output the final
  answer within \\boxed{}. Think for maximum N tokens.<Assistant><think>\\n

The response is a scratchpad, "</think>", then "\\n\\n**Final Answer**\\n"
(the text l1 writes after a forced close) and "\\boxed{C}", then EOS.  The
scratchpad comes in four routes, from the full digit-by-digit sentences to
none; an example takes the fullest route that N holds for every problem of
its class (operation and digit counts: what the prompt shows).
"""
import random

import bpe
from bpe import BOS, EOS, USER, ASSISTANT, THINK, THINK_END

STEP = "Let's think step by step and output the final answer within \\boxed{}."
ANSWER = "\n\n**Final Answer**\n\\boxed{%s}"
EVAL_BUDGETS = [16, 24, 32, 48, 64, 96, 128, 256]


def user_text(a, op, b):
    return "What is %d %s %d?" % (a, op, b)


def prompt(a, op, b, budget):
    """The rendered prompt; budget None: no instruction (l1 with budget 0)."""
    u = user_text(a, op, b)
    if budget is not None:
        u += " " + STEP + " Think for maximum %d tokens." % budget
    return BOS + USER + u + ASSISTANT + THINK + "\n"


PLACES = ["Ones", "Tens", "Hundreds", "Thousands", "Ten thousands"]


def digits_right(x, n):
    return [(x // 10 ** i) % 10 for i in range(n)]


def column_lines(cols, carry_word):
    """The full route's column lines.  cols: (equation, digit written, carry
    out) from the ones up.  Each line names its place and ends with the digits
    written so far, so the result is read off the last line, most
    significant digit first."""
    lines, so_far = [], ""
    for k, (eq, d, c) in enumerate(cols):
        so_far = "%d" % d + so_far
        tail = ", %s %d" % (carry_word, c) if c else ""
        lines.append("%s: %s. Write %d%s. So far %s.\n" % (PLACES[k], eq, d, tail, so_far))
    c = cols[-1][2]
    if c:
        so_far = "%d" % c + so_far
        lines.append("%s: the carry %d. So far %s.\n" % (PLACES[len(cols)], c, so_far))
    return lines


def add_steps(a, b):
    n = max(len(str(a)), len(str(b)))
    da, db = digits_right(a, n), digits_right(b, n)
    eqs, cols, c = [], [], 0
    for x, y in zip(da, db):
        s = x + y + c
        eq = "%d+%d=%d" % (x, y, s) if c == 0 else "%d+%d+%d=%d" % (x, y, c, s)
        eqs.append(eq)
        c = 1 if s >= 10 else 0
        cols.append((eq, s % 10, c))
    return eqs, column_lines(cols, "carry")


def sub_steps(a, b):
    """a >= b.  The compact equations decide the borrow up front (14-9=5);
    the full route writes a column's signed difference first and reads the
    borrow off its sign (4-9=-5, below 0, so 14-9=5)."""
    n = len(str(a))
    da, db = digits_right(a, n), digits_right(b, n)
    eqs, cols, br = [], [], 0
    for x, y in zip(da, db):
        d = x - y - br
        left = "%d-%d" % (x, y) if br == 0 else "%d-%d-1" % (x, y)
        if d < 0:
            eqs.append("1" + left + "=%d" % (d + 10))
            eq = left + "=%d, below 0, so 1" % d + left + "=%d" % (d + 10)
            br = 1
        else:
            eqs.append(left + "=%d" % d)
            eq = eqs[-1]
            br = 0
        cols.append((eq, d + 10 * br, br))
    return eqs, column_lines(cols, "borrow")


def ndigits(n):
    return "1 digit" if n == 1 else "%d digits" % n


def compare_line(a, b):
    """Which operand is larger, decided from text already written: the digit
    counts, or the digits from the left up to the first that differ, each
    pair labelled as it is written."""
    sa, sb = str(a), str(b)
    if len(sa) != len(sb):
        return "Compare %d and %d: %s and %s.\n" % (a, b, ndigits(len(sa)), ndigits(len(sb)))
    pairs = []
    for x, y in zip(sa, sb):
        if x == y:
            pairs.append("%s and %s same" % (x, y))
            continue
        pairs.append("%s and %s, %s" % (x, y, "below" if x < y else "above"))
        break
    return "Compare %d and %d: %s each; from the left %s.\n" % (a, b, ndigits(len(sa)), "; ".join(pairs))


def mul_steps(a, b):
    """b is one digit."""
    n = len(str(a))
    da = digits_right(a, n)
    eqs, cols, c = [], [], 0
    for x in da:
        s = x * b + c
        eq = "%d*%d=%d" % (x, b, s) if c == 0 else "%d*%d+%d=%d" % (x, b, c, s)
        eqs.append(eq)
        c = s // 10
        cols.append((eq, s % 10, c))
    return eqs, column_lines(cols, "carry")


def routes(a, op, b):
    """Scratchpads from the fullest to none; each ends with a line end."""
    if op == "+":
        c = a + b
        eqs, lines = add_steps(a, b)
        full = "Add %d and %d from the right.\n" % (a, b) + "".join(lines) + "The sum is %d.\n" % c
        compact = ", ".join(eqs) + ".\nSo %d.\n" % c
    elif op == "-":
        c = a - b
        if a >= b:
            eqs, lines = sub_steps(a, b)
            full = (compare_line(a, b) + "So take %d from %d, from the right.\n" % (b, a) + "".join(lines)
                    + "The difference is %d.\n" % c)
            compact = ", ".join(eqs) + ".\nSo %d.\n" % c
        else:
            eqs, lines = sub_steps(b, a)
            full = (compare_line(a, b) + "So %d is less: take %d from %d and negate.\n" % (a, a, b)
                    + "".join(lines) + "That gives %d, so the answer is %d.\n" % (-c, c))
            compact = "Negate: " + ", ".join(eqs) + ".\nSo %d.\n" % c
    else:
        c = a * b
        eqs, lines = mul_steps(a, b)
        full = "Multiply %d by %d from the right.\n" % (a, b) + "".join(lines) + "The product is %d.\n" % c
        compact = ", ".join(eqs) + ".\nSo %d.\n" % c
    rough = "So %d.\n" % c
    return c, [full, compact, rough, ""]


def response(scratch, c):
    return scratch + THINK_END + ANSWER % c + EOS


def sample_problem(rng):
    r = rng.random()
    if r < 0.42:
        op = "+"
    elif r < 0.88:
        op = "-"
    else:
        op = "*"
    if op == "*":
        a = rng.randint(0, 10 ** rng.randint(1, 3) - 1)
        b = rng.randint(0, 9)
    else:
        a = rng.randint(0, 10 ** rng.randint(1, 4) - 1)
        b = rng.randint(0, 10 ** rng.randint(1, 4) - 1)
    return a, op, b


def sample_budget(rng):
    """None (no instruction) 10%, an evaluation budget 30%, any N in
    [16, 512] 60%: most examples get the full route."""
    r = rng.random()
    if r < 0.1:
        return None
    if r < 0.4:
        return rng.choice(EVAL_BUDGETS)
    return rng.randint(16, 512)


def problem_class(a, op, b):
    """What the prompt shows of a problem's size: the operation and the
    operands' digit counts."""
    return op, len(str(a)), len(str(b))


def class_problem(rng, cls):
    op, la, lb = cls
    lo = lambda k: 0 if k == 1 else 10 ** (k - 1)
    return rng.randint(lo(la), 10 ** la - 1), op, rng.randint(lo(lb), 10 ** lb - 1)


# Per problem class, the most tokens each route's response takes: a route is
# taken when N holds it for every problem of the class, so the choice is a
# rule on what the prompt shows (operation, digit counts, N), never a guess
# at a token count, and a problem at a budget near a route's length gets
# the same route as its neighbours.
_route_max = {}


def route_max(tok, cls):
    if cls not in _route_max:
        rng = random.Random("%s%d,%d" % cls)
        most = [0, 0, 0, 0]
        for _ in range(300):
            a, op, b = class_problem(rng, cls)
            c, rs = routes(a, op, b)
            for i, s in enumerate(rs):
                most[i] = max(most[i], len(tok.encode(response(s, c))))
        _route_max[cls] = most
    return _route_max[cls]


def example(rng, tok):
    """(prompt ids, response ids) for one random problem and budget: the
    fullest route whose longest response in the problem's class fits N (and
    this response too)."""
    a, op, b = sample_problem(rng)
    n = sample_budget(rng)
    c, rs = routes(a, op, b)
    p = tok.encode(prompt(a, op, b, n))
    most = route_max(tok, problem_class(a, op, b))
    for i, s in enumerate(rs):
        r = tok.encode(response(s, c))
        if n is None or (most[i] <= n and len(r) <= n) or i == len(rs) - 1:
            break
    return p, r


def corpus(rng, k):
    """Texts for training the tokenizer."""
    out = []
    for _ in range(k):
        a, op, b = sample_problem(rng)
        n = sample_budget(rng) or 64
        c, rs = routes(a, op, b)
        for s in rs[:3]:
            out.append(prompt(a, op, b, n) + response(s, c))
    return out


def tokenizer(seed, n_merges):
    """The merges learnt on the corpus of seed: the same for train.py and for
    evaluate.py, which rebuilds the tokenizer of a checkpoint from them."""
    return bpe.train(corpus(random.Random(seed), 3000), n_merges)
