"""The strong-Wolfe line search used by ``LBFGS(line_search_fn="strong_wolfe")``.

It works on flat NumPy arrays and on the scalars their dot products give (NumPy scalars of the
parameters' dtype, combined with Python floats as weak scalars), so the arithmetic stays in
the parameters' precision throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["strong_wolfe", "cubic_minimum"]

# A point on the search line: (step t, loss f, flat gradient g, directional derivative g.d).
Point = tuple[Any, float, Any, Any]


def cubic_minimum(x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any,
                  bounds: tuple[Any, Any] | None = None) -> Any:
    """Minimiser of the cubic through two points with their slopes, clamped to ``bounds``
    (by default the interval between the points); the middle of the bounds when the cubic
    has no real minimiser."""
    if bounds is not None:
        low, high = bounds
    else:
        low, high = (x1, x2) if x1 <= x2 else (x2, x1)
    # Degenerate points give infinities and NaNs, which the clamping below resolves.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        d2_square = d1 ** 2 - g1 * g2
        if not d2_square >= 0:
            return (low + high) / 2.0
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, low), high)


def strong_wolfe(evaluate: Callable[[Any], tuple[float, Any]], d: Any, f: float, g: Any,
                 gtd: Any, t: Any, max_ls: int, c1: float = 1e-4, c2: float = 0.9,
                 tolerance_change: float = 1e-9) -> tuple[float, Any, Any, int]:
    """Search along ``d`` from the current point (loss ``f``, gradient ``g``, slope ``gtd``)
    for a step meeting the strong Wolfe conditions, starting from step ``t``.

    ``evaluate(t)`` returns the loss and flat gradient at ``x + t * d``. Returns the loss,
    gradient and step of the point chosen, and the number of evaluations made.
    """
    start: Point = (0, f, g.copy(), gtd)
    f_new, g_new = evaluate(t)
    newest: Point = (t, f_new, g_new, g_new.dot(d))
    bracket, done, ls_iter, evals = _bracket(evaluate, d, start, newest, max_ls, c1, c2)
    zoomed, more = _zoom(evaluate, d, f, gtd, bracket, done, ls_iter, max_ls, c1, c2,
                         tolerance_change, np.abs(d).max())
    t_best, f_best, g_best, _ = zoomed
    return f_best, g_best, t_best, evals + more


def _bracket(evaluate: Callable, d: Any, start: Point, newest: Point, max_ls: int, c1: float,
             c2: float) -> tuple[list, bool, int, int]:
    """Step forward (by cubic extrapolation) until an interval holding an acceptable step is
    found. Returns the interval (from the start to the last point tried when ``max_ls``
    steps found none), whether its only point already satisfies the conditions, the
    iterations used and the evaluations made."""
    f, gtd = start[1], start[3]
    prev, evals, ls_iter = start, 1, 0
    while ls_iter < max_ls:
        t, f_new, g_new, gtd_new = newest
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= prev[1]):
            return [prev, (t, f_new, g_new.copy(), gtd_new)], False, ls_iter, evals
        if abs(gtd_new) <= -c2 * gtd:
            return [newest], True, ls_iter, evals
        if gtd_new >= 0:
            return [prev, (t, f_new, g_new.copy(), gtd_new)], False, ls_iter, evals
        t_next = cubic_minimum(prev[0], prev[1], prev[3], t, f_new, gtd_new,
                               bounds=(t + 0.01 * (t - prev[0]), t * 10))
        prev = (t, f_new, g_new.copy(), gtd_new)
        f_next, g_next = evaluate(t_next)
        evals += 1
        newest = (t_next, f_next, g_next, g_next.dot(d))
        ls_iter += 1
    return [start, newest], False, ls_iter, evals


def _zoom(evaluate: Callable, d: Any, f: float, gtd: Any, bracket: list, done: bool,
          ls_iter: int, max_ls: int, c1: float, c2: float, tolerance_change: float,
          d_norm: Any) -> tuple[Point, int]:
    """Shrink the interval by cubic interpolation until a point meets the conditions, the
    interval is negligible or the evaluations run out. Returns the lowest point found and
    the evaluations made."""
    evals, stalled = 0, False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1][0] - bracket[0][0]) * d_norm < tolerance_change:
            break
        (t0, f0, _, gtd0), (t1, f1, _, gtd1) = bracket
        t, stalled = _away_from_ends(cubic_minimum(t0, f0, gtd0, t1, f1, gtd1),
                                     max(t0, t1), min(t0, t1), stalled)
        f_new, g_new = evaluate(t)
        evals += 1
        ls_iter += 1
        point = (t, f_new, g_new.copy(), g_new.dot(d))
        if f_new > (f + c1 * t * gtd) or f_new >= bracket[low][1]:
            bracket[high] = point  # not low enough: the new point closes the interval
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
            continue
        if abs(point[3]) <= -c2 * gtd:
            done = True
        elif point[3] * (bracket[high][0] - bracket[low][0]) >= 0:
            bracket[high] = bracket[low]  # the slope says the minimum lies on the other side
        bracket[low] = point
    return bracket[low], evals


def _away_from_ends(t: Any, top: Any, bottom: Any, stalled: bool) -> tuple[Any, bool]:
    """Keep a trial step a tenth of the interval away from its ends once progress stalls
    (a trial that close to an end twice in a row, or outside the interval), so the interval
    keeps shrinking. Returns the step and whether this trial counted as stalled."""
    eps = 0.1 * (top - bottom)
    if not min(top - t, t - bottom) < eps:
        return t, False
    if not (stalled or t >= top or t <= bottom):
        return t, True
    if abs(t - top) < abs(t - bottom):
        return top - eps, False
    return bottom + eps, False
