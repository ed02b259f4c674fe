"""Whole-group updates on flat buffers (optim.flat) give exactly the per-parameter result, and
never update stale memory when parameters or state are replaced behind the optimizer's back."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import optim
from optim import flat
from minigrad import Tensor

ELEMENTWISE = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.01)),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    (optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
    (optim.NAdam, dict(lr=0.01, weight_decay=0.01)),
    (optim.Adamax, dict(lr=0.01, weight_decay=0.01)),
    (optim.RAdam, dict(lr=0.01, weight_decay=0.01)),
    (optim.Lion, dict(lr=0.01, weight_decay=0.1)),
]
SHAPES = [(3, 4), (4,), (2, 2, 2)]


# Ten one-element parameters around a 3×3 one: with blocks of 8 (float64) elements the small
# ones are laid out first and fill two shared blocks; the 3×3 one gets two blocks of its own.
MANY_SMALL = [(1,)] * 4 + [(3, 3)] + [(1,)] * 6


def make_params(seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.normal(size=s), requires_grad=True) for s in shapes]


def gradients(step, shapes=SHAPES):
    rng = np.random.default_rng(100 + step)
    return [rng.normal(size=s) for s in shapes]


def set_gradients(params, step):
    for p, g in zip(params, gradients(step)):
        p.grad = g


@pytest.mark.parametrize("shapes, block_bytes", [
    (SHAPES, flat.BLOCK_BYTES), (SHAPES, 160), (SHAPES, 40), (MANY_SMALL, 64),
], ids=["one block", "blocks of 20", "blocks of 5", "blocks of 8"])
@pytest.mark.parametrize("cls, kwargs", ELEMENTWISE, ids=[c.__name__ for c, _ in ELEMENTWISE])
def test_one_flat_update_equals_one_update_per_parameter(cls, kwargs, shapes, block_bytes, monkeypatch):
    # Parameters of sizes 12, 4 and 8 (float64): one block gathers all three gradients;
    # blocks of 20 gather the two small ones (under half a block) and read the first in
    # place; blocks of 5 cut through the first and the last; and MANY_SMALL fills two shared
    # blocks. The rule must still give each coordinate what it gives it alone.
    monkeypatch.setattr(flat, "BLOCK_BYTES", block_bytes)
    together = make_params(shapes=shapes)
    apart = make_params(shapes=shapes)
    grouped = cls(together, **kwargs)
    separate = [cls([p], **kwargs) for p in apart]  # one parameter per optimizer: no flat path
    for step in range(30):
        for p, q, g in zip(together, apart, gradients(step, shapes)):
            p.grad, q.grad = g.copy(), g.copy()
        grouped.step()
        for opt in separate:
            opt.step()
        for p, q in zip(together, apart):
            np.testing.assert_array_equal(p.data, q.data)
    assert grouped._flat_groups, "the flat path was not taken"
    for p, q, opt in zip(together, apart, separate):
        for key, value in grouped.state[p].items():
            np.testing.assert_array_equal(value, opt.state[q][key])


def test_a_parameter_without_gradient_is_skipped_and_the_rest_still_match():
    together, apart = make_params(), make_params()
    grouped = optim.Adam(together, lr=0.01)
    separate = [optim.Adam([p], lr=0.01) for p in apart]
    for step in range(10):
        for i, (p, q, g) in enumerate(zip(together, apart, gradients(step))):
            skip = i == 1 and step % 3 == 0
            p.grad = None if skip else g.copy()
            q.grad = None if skip else g.copy()
        grouped.step()
        for opt in separate:
            opt.step()
    for p, q in zip(together, apart):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("has_grad", [[True], [True, True, False], [True, True, True]],
                         ids=["a lone parameter", "one of three without gradient", "all three with gradients"])
def test_only_a_group_of_two_or_more_all_with_gradients_moves_its_parameters_into_flat_buffers(has_grad):
    """As the README says: otherwise each parameter is updated in the very array its Tensor was
    made from (which it shares); in such a group that array is no longer its storage."""
    arrays = [np.ones(shape) for shape in SHAPES[:len(has_grad)]]
    params = [Tensor(a, requires_grad=True) for a in arrays]
    opt = optim.SGD(params, lr=0.5)
    for p, given in zip(params, has_grad):
        p.grad = np.ones(p.shape) if given else None
    opt.step()
    flat_step = len(has_grad) >= 2 and all(has_grad)
    for p, a, given in zip(params, arrays, has_grad):
        np.testing.assert_array_equal(p.data, 0.5 if given else 1.0)  # θ ← 1 − 0.5·1 where stepped
        assert (p.data is a) != flat_step
        np.testing.assert_array_equal(a, 1.0 if flat_step or not given else 0.5)


def test_replaced_parameter_data_is_laid_out_again_not_left_stale():
    params = make_params()
    opt = optim.SGD(params, lr=0.5)
    set_gradients(params, 0)
    opt.step()
    params[0].data = np.zeros(SHAPES[0])  # the user replaces an array
    for p in params:
        p.grad = np.ones(p.shape)
    opt.step()
    np.testing.assert_array_equal(params[0].data, np.full(SHAPES[0], -0.5))


def test_a_state_array_replaced_in_the_state_dict_is_used_not_the_flat_buffer_it_replaced():
    # (as a user restarting the momentum would do, between two flat steps)
    params = make_params()
    opt = optim.SGD(params, lr=1.0, momentum=0.5)
    for step in range(2):
        set_gradients(params, step)
        opt.step()
    before = [p.data.copy() for p in params]
    for p in params:
        opt.state[p]["momentum_buffer"] = np.zeros(p.shape)
    set_gradients(params, 2)
    opt.step()
    for p, b, g in zip(params, before, gradients(2)):  # b ← 0.5·0 + g, θ ← θ − 1·b
        np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], g)
        np.testing.assert_array_equal(p.data, b - g)


def test_a_parameter_appended_to_a_groups_list_after_a_flat_step_is_updated_too():
    params = make_params()
    opt = optim.SGD(params[:2], lr=0.5)
    for p in params:
        p.grad = np.ones(p.shape)
    opt.step()
    opt.param_groups[0]["params"].append(params[2])
    before = [p.data.copy() for p in params]
    opt.step()
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.data, b - 0.5)


def test_loaded_state_is_used_after_a_flat_step():
    params = make_params()
    opt = optim.Adam(params, lr=0.01)
    for step in range(4):
        if step == 3:
            saved = opt.state_dict()
        set_gradients(params, step)
        opt.step()
    opt.load_state_dict(saved)  # back to the moments of step 3
    twin_params = [Tensor(p.data.copy(), requires_grad=True) for p in params]
    twin = optim.Adam(twin_params, lr=0.01)
    twin.load_state_dict(saved)
    set_gradients(params, 4)
    set_gradients(twin_params, 4)
    opt.step()
    twin.step()
    for p, q in zip(params, twin_params):
        np.testing.assert_array_equal(p.data, q.data)


def test_a_deep_copied_optimizer_keeps_updating_its_own_parameters():
    import copy

    params = make_params()
    opt = optim.Adam(params, lr=0.1)
    set_gradients(params, 0)
    opt.step()
    twin = copy.deepcopy(opt)  # parameters and state copied together; laid out afresh
    twin_params = twin.param_groups[0]["params"]
    before = [p.data.copy() for p in twin_params]
    set_gradients(twin_params, 1)
    twin.step()
    assert all(not np.array_equal(p.data, b) for p, b in zip(twin_params, before))


def test_an_unpickled_optimizer_takes_the_same_steps_as_the_original():
    import pickle

    params = make_params()
    opt = optim.Adam(params, lr=0.1)
    set_gradients(params, 0)
    opt.step()
    twin = pickle.loads(pickle.dumps(opt))
    twin_params = twin.param_groups[0]["params"]
    for step in range(1, 4):
        set_gradients(params, step)
        set_gradients(twin_params, step)
        opt.step()
        twin.step()
    for p, q in zip(params, twin_params):
        np.testing.assert_array_equal(p.data, q.data)
        assert not np.shares_memory(p.data, q.data)


def test_a_gradient_of_the_wrong_shape_is_a_clear_error():
    params = make_params()
    opt = optim.Adam(params, lr=0.1)
    set_gradients(params, 0)
    params[1].grad = np.ones(5)
    with pytest.raises(ValueError, match=r"shape \(4,\) has a gradient of shape \(5,\)"):
        opt.step()
    assert opt.state == {}  # nothing was stepped


def test_a_bad_gradient_in_a_later_group_stops_the_step_before_any_group_is_stepped():
    params = make_params()
    opt = optim.Adam([{"params": params[:2]}, {"params": params[2:]}], lr=0.1)
    set_gradients(params, 0)
    params[2].grad = np.ones(3)
    before = [p.data.copy() for p in params]
    with pytest.raises(ValueError, match=r"shape \(2, 2, 2\) has a gradient of shape \(3,\)"):
        opt.step()
    assert opt.state == {}
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.data, b)


# Each shared block and each large parameter starts on the next cache line of 64 bytes: at a
# multiple of 8 float64 or 16 float32 elements.
@pytest.mark.parametrize("shapes, dtype, block_bytes, expected", [
    (SHAPES, np.float64, 160, [(0, 12, [1, 2]), (16, 28, [0])]),
    (SHAPES, np.float64, 40, [(0, 5, [0]), (5, 10, [0]), (10, 12, [0]), (16, 20, [1]), (24, 29, [2]), (29, 32, [2])]),
    (MANY_SMALL, np.float64, 64, [(0, 8, [0, 1, 2, 3, 5, 6, 7, 8]), (8, 10, [9, 10]), (16, 24, [4]), (24, 25, [4])]),
    # the same blocks of 8 elements, of 4 bytes each: a cache line is 16 of them, so the second
    # shared block starts at 16, and the large parameter at 32
    (MANY_SMALL, np.float32, 32, [(0, 8, [0, 1, 2, 3, 5, 6, 7, 8]), (16, 18, [9, 10]), (32, 40, [4]), (40, 41, [4])]),
    # exactly half a block (4 of 8) is large: a block of its own; one element less shares one
    ([(4,), (3,), (1,)], np.float64, 64, [(0, 4, [1, 2]), (8, 12, [0])]),
    # a parameter of size 0 alone in the shared run would make a block of nothing: none is made
    ([(0,), (10,)], np.float64, 64, [(0, 8, [1]), (8, 10, [1])]),
])
def test_blocks_keep_small_parameters_together_and_cut_large_ones(shapes, dtype, block_bytes, expected, monkeypatch):
    monkeypatch.setattr(flat, "BLOCK_BYTES", block_bytes)
    params = [Tensor(p.data.astype(dtype), requires_grad=True) for p in make_params(shapes=shapes)]
    layout = flat.FlatGroup(params, [{"step": 0} for _ in params])
    assert [(int(lo), int(hi), members) for lo, hi, members in layout.cuts] == expected


def test_a_parameter_that_missed_one_step_keeps_its_own_step_count():
    # two parameters laid out together, then one misses a step: the layout made for equal step
    # counts must not serve again (Adam's bias corrections would use the other's count)
    together, apart = make_params(shapes=SHAPES[:2]), make_params(shapes=SHAPES[:2])
    grouped = optim.Adam(together, lr=0.01)
    separate = [optim.Adam([p], lr=0.01) for p in apart]
    for step, has_grad in enumerate([(True, True), (True, True), (True, False), (True, True), (True, True)]):
        for p, q, g, given in zip(together, apart, gradients(step), has_grad):
            p.grad = q.grad = g.copy() if given else None
        grouped.step()
        for opt in separate:
            opt.step()
    assert [grouped.state[p]["step"] for p in together] == [5, 4]
    for p, q in zip(together, apart):
        np.testing.assert_array_equal(p.data, q.data)


def test_a_group_mixing_float32_and_float64_keeps_each_dtype_and_matches_per_parameter_updates():
    def mixed():
        a, b = make_params(shapes=SHAPES[:2])
        return [Tensor(a.data.astype(np.float32), requires_grad=True), b]

    together, apart = mixed(), mixed()
    grouped = optim.Adam(together, lr=0.01)
    separate = [optim.Adam([p], lr=0.01) for p in apart]
    for step in range(3):
        for p, q, g in zip(together, apart, gradients(step)):
            p.grad, q.grad = g.astype(p.dtype), g.astype(q.dtype)
        grouped.step()
        for opt in separate:
            opt.step()
    assert [p.dtype for p in together] == [np.float32, np.float64]
    for p, q in zip(together, apart):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("size", [0, 1, 5, 1000])
def test_aligned_zeros_start_on_a_cache_line(size, dtype):
    for _ in range(5):  # (numpy's own arrays start at varying offsets into a line)
        a = flat.aligned_zeros(size, dtype)
        assert size == 0 or a.ctypes.data % 64 == 0  # (an empty array has no first element)
        assert (a.shape, a.dtype, a.flags.c_contiguous, a.flags.writeable) == ((size,), np.dtype(dtype), True, True)
        np.testing.assert_array_equal(a, np.zeros(size, dtype))


def test_aligned_zeros_refuses_a_negative_size_as_np_zeros_does():
    with pytest.raises(ValueError, match="aligned_zeros needs a size >= 0, got -1"):
        flat.aligned_zeros(-1, np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_block_of_every_buffer_starts_on_a_cache_line(dtype, monkeypatch):
    # Blocks of 64 KiB. The small parameters (under half a block each; odd sizes, so that
    # without padding nothing after the first would start on a line) fill two shared blocks,
    # and the large one is cut into three blocks of its own.
    monkeypatch.setattr(flat, "BLOCK_BYTES", 64 * 1024)
    per_block = 64 * 1024 // np.dtype(dtype).itemsize
    shapes = [(3,), (2 * per_block + 9,), (per_block // 3,), (5,), (per_block // 3 + 1,), (per_block // 3,), (7,)]
    params = [Tensor(np.ones(s, dtype), requires_grad=True) for s in shapes]
    opt = optim.Adam(params, lr=0.01)
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    layout = opt._flat_groups[0]
    index = {id(p): i for i, p in enumerate(params)}
    blocks = [[index[id(p)] for p in members] for _, members, _, _, _ in layout.blocks]
    assert blocks == [[0, 2, 3, 4], [5, 6], [1], [1], [1]]
    assert params[1].data.ctypes.data % 64 == 0
    for theta, members, _, gathered, buffers in layout.blocks:
        for array in [theta, *buffers.values()] + ([] if gathered is None else [gathered]):
            assert array.ctypes.data % 64 == 0


@given(shapes=st.lists(st.lists(st.integers(0, 9), min_size=1, max_size=2).map(tuple), min_size=2, max_size=6),
       dtype=st.sampled_from([np.float32, np.float64]), block_elements=st.integers(1, 40),
       cls=st.sampled_from([optim.AdamW, optim.NAdam]), seed=st.integers(0, 2**16))
@example(shapes=[(0,), (0, 3)], dtype=np.float64, block_elements=4, cls=optim.NAdam, seed=0)  # (nothing to update)
def test_any_layout_covers_each_parameter_once_and_updates_as_one_parameter_at_a_time(shapes, dtype,
                                                                                      block_elements, cls, seed):
    """Random shapes (size-0 ones included) and block sizes, which need not be whole cache lines:
    the blocks never overlap, cover exactly the parameters' elements, and start (shared ones, and
    the first of a large parameter) on a cache line; the gaps stay 0; and three AdamW or NAdam
    (whose state holds a running product) steps give bit for bit what one optimizer per
    parameter gives."""
    rng = np.random.default_rng(seed)
    starts = [rng.normal(size=shape).astype(dtype) for shape in shapes]
    together = [Tensor(a.copy(), requires_grad=True) for a in starts]
    apart = [Tensor(a.copy(), requires_grad=True) for a in starts]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flat, "BLOCK_BYTES", block_elements * np.dtype(dtype).itemsize)
        grouped = cls(together, lr=0.01, weight_decay=0.1)
        separate = [cls([p], lr=0.01, weight_decay=0.1) for p in apart]
        for _ in range(3):
            for p, q in zip(together, apart):
                p.grad = rng.normal(size=p.shape).astype(dtype)
                q.grad = p.grad.copy()
            grouped.step()
            for opt in separate:
                opt.step()
    for p, q, opt in zip(together, apart, separate):
        np.testing.assert_array_equal(p.data, q.data)
        for key, value in grouped.state[p].items():
            np.testing.assert_array_equal(value, opt.state[q][key])
    layout = grouped._flat_groups[0]
    owner = np.full(layout.length, -1)
    for i, (start, size) in enumerate(zip(layout.start, layout.sizes)):
        assert (owner[start:start + size] == -1).all()  # parameters do not overlap
        owner[start:start + size] = i
    covered = np.zeros(layout.length, int)
    for lo, hi, members in layout.cuts:
        assert (lo < hi or layout.length == 0) and set(owner[lo:hi]) <= set(members)  # (see _lay_out)
        covered[lo:hi] += 1
    np.testing.assert_array_equal(covered, owner >= 0)  # every element of a parameter in one block
    np.testing.assert_array_equal(layout.theta[owner < 0], 0)
    line_elements = 64 // np.dtype(dtype).itemsize
    first_blocks = [lo for lo, _, members in layout.cuts if len(members) > 1 or lo == layout.start[members[0]]]
    assert all(lo % line_elements == 0 for lo in first_blocks)
    assert layout.length == 0 or layout.theta.ctypes.data % 64 == 0
