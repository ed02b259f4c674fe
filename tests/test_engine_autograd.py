"""Behaviour of the backward pass: accumulation, reuse, grad mode, deep graphs, memory."""

from __future__ import annotations

import copy
import gc
import math
import pickle
import tracemalloc
import weakref

import numpy as np
import pytest

import minigrad
import minigrad.functional as F
from minigrad import Tensor, no_grad


def test_tensor_used_twice_gets_the_sum_of_both_paths():
    a = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    b = a + a
    c = b * b  # c = 4a², dc/da = 8a
    c.sum().backward()
    np.testing.assert_allclose(a.grad, 8 * a.data)


def test_diamond_graph():
    a = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    b = a.exp()
    c = b * a + b.log() - b  # dc/da = e^a·a + e^a + 1 - e^a = a·e^a + 1
    c.sum().backward()
    np.testing.assert_allclose(a.grad, a.data * np.exp(a.data) + 1)


def test_gradients_accumulate_across_backward_calls():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    for _ in range(3):
        (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, 3 * 2 * w.data)
    w.grad = None
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad, [3.0, 3.0])


def test_leaf_gradient_is_a_private_array_even_when_shared_in_the_graph():
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    seed = np.array([1.0, 2.0])
    (a + b).backward(seed)
    a.grad += 10
    np.testing.assert_allclose(b.grad, [1.0, 2.0])
    np.testing.assert_allclose(seed, [1.0, 2.0])


def test_second_backward_over_a_freed_graph_raises_unless_retained():
    x = Tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, [8.0])
    with pytest.raises(RuntimeError, match="already freed"):
        y.backward()


def test_no_grad_records_nothing():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = x * 2
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_in_one_thread_leaves_other_threads_recording():
    import threading

    inside, done = threading.Event(), threading.Event()

    def evaluate():
        with no_grad():
            inside.set()
            done.wait(10)

    worker = threading.Thread(target=evaluate)
    worker.start()
    assert inside.wait(10)
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()  # recorded here while the other thread sits in no_grad
    done.set()
    worker.join()
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert minigrad.is_grad_enabled()


def test_detach_cuts_the_graph_but_shares_data():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert d.is_leaf and not d.requires_grad
    assert np.shares_memory(d.data, y.data)
    (y * d).sum().backward()  # d is a constant: d(y·d)/dx = 3·d
    np.testing.assert_allclose(x.grad, 3 * d.data)


def test_intermediate_tensors_are_not_leaves_and_get_no_grad():
    x = Tensor([1.0], requires_grad=True)
    h = x * 2
    (h * h).sum().backward()
    assert x.is_leaf and not h.is_leaf
    assert h.grad is None


def rest_of_program(h: Tensor, bias: Tensor) -> Tensor:
    """A loss that uses ``h`` on three paths, one of them broadcast against ``bias``."""
    a = F.relu(h + bias)
    return (a * a).sum() + h.mean() * 3 + (h * bias).sum()


def test_retain_grad_keeps_the_gradient_reaching_an_intermediate_tensor():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    w = Tensor(rng.normal(size=(3, 5)), requires_grad=True)
    bias = Tensor(rng.normal(size=5), requires_grad=True)
    h = x @ w
    h.retain_grad()
    loss = rest_of_program(h, bias)
    loss.retain_grad()
    loss.backward()
    # the same gradient, computed with h's value as a leaf of the rest of the program
    h_leaf = Tensor(h.data.copy(), requires_grad=True)
    rest_of_program(h_leaf, Tensor(bias.data)).backward()
    np.testing.assert_array_equal(h.grad, h_leaf.grad)
    assert loss.grad == 1.0 and loss.grad.shape == ()
    np.testing.assert_allclose(w.grad, x.data.T @ h.grad)  # the leaves get theirs as before


def test_a_retained_gradient_accumulates_and_is_its_own_array():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    h = x * 3
    h.retain_grad()
    y = h.sum()
    y.backward(retain_graph=True)
    first = h.grad
    y.backward()
    np.testing.assert_array_equal(h.grad, [2.0, 2.0])
    assert h.grad is first and h.grad.dtype == np.float32  # added into in place
    x.retain_grad()  # a leaf keeps its gradient anyway
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])


def test_retain_grad_needs_a_tensor_that_gets_a_gradient():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).retain_grad()
    x = Tensor([1.0], requires_grad=True)
    h = x * 2
    h.sum().backward()
    h.retain_grad()  # after its graph was freed: accepted, as in PyTorch (no backward reaches it)
    assert h.grad is None


def test_a_hook_sees_the_complete_gradient_of_an_intermediate_tensor_and_can_replace_it():
    rng = np.random.default_rng(1)
    x = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    w = Tensor(rng.normal(size=(3, 5)), requires_grad=True)
    bias = Tensor(rng.normal(size=5))
    # the gradient reaching h, computed with h's value as a leaf of the rest of the program
    h_leaf = Tensor(x.data @ w.data, requires_grad=True)
    rest_of_program(h_leaf, bias).backward()
    seen = []
    h = x @ w
    h.register_hook(lambda g: seen.append(g.copy()))  # returns None: the gradient flows on as it is
    h.register_hook(lambda g: 2 * g)                   # then doubled, for the rest of the pass
    h.retain_grad()                                    # keeps the gradient after the hooks
    rest_of_program(h, bias).backward()
    assert len(seen) == 1  # once, with the sum over h's three uses
    np.testing.assert_allclose(seen[0], h_leaf.grad)
    np.testing.assert_allclose(h.grad, 2 * h_leaf.grad)
    np.testing.assert_allclose(w.grad, x.data.T @ (2 * h_leaf.grad))
    np.testing.assert_allclose(x.grad, (2 * h_leaf.grad) @ w.data.T)


def test_a_leafs_hook_changes_what_it_adds_to_its_grad_until_removed():
    x = Tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32), requires_grad=True)
    calls = []

    def clip(g):
        calls.append(g.copy())
        return np.clip(g, -1.0, 1.0).astype(np.float64)  # (cast back to the leaf's float32)

    handle = x.register_hook(clip)
    (x * x + x).sum().backward()  # used twice: the hook sees the sum 2x + 1 = [3, -3, 7], once
    np.testing.assert_array_equal(calls, [[3.0, -3.0, 7.0]])
    np.testing.assert_array_equal(x.grad, [1.0, -1.0, 1.0])
    assert x.grad.dtype == np.float32
    (x * 0.5).sum().backward()  # within the clip: added to .grad as it is
    np.testing.assert_array_equal(x.grad, [1.5, -0.5, 1.5])
    handle.remove()
    handle.remove()  # (a second remove does nothing)
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.5, 3.5, 5.5])
    assert len(calls) == 2


def test_a_hook_on_the_tensor_backward_starts_from():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    kept = np.array([5.0, 6.0])
    x.register_hook(lambda g: kept)
    x.backward(np.ones(2))
    np.testing.assert_array_equal(x.grad, kept)
    assert x.grad is not kept  # a copy: the hook's array may be used elsewhere
    y = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    z = y * 3
    z.register_hook(lambda g: g + 1)  # the root of the pass: its hook sees the grad given
    z.backward(np.array([1.0, 0.0]))
    np.testing.assert_array_equal(y.grad, [6.0, 3.0])


def test_a_gradient_a_hook_keeps_is_not_changed_by_later_passes():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    seen = []
    x.register_hook(seen.append)  # keeps g itself, no copy
    (x * 2).sum().backward()
    (x * 3).sum().backward()  # added into x.grad in place: not into the first g
    np.testing.assert_array_equal(seen[0], [2.0, 2.0])
    np.testing.assert_array_equal(seen[1], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])


def test_a_hook_on_a_0d_tensor_may_return_numpys_scalar():
    s = Tensor(2.0, requires_grad=True)
    s.register_hook(lambda g: np.clip(g * 5, -1.0, 1.0))  # numpy gives a float64 scalar here
    (s * 3).backward()  # the gradient 3, times 5, clipped to 1
    assert s.grad.shape == () and s.grad == 1.0


def test_each_handle_removes_its_own_registration_even_from_inside_a_hook():
    x = Tensor(np.array([1.0]), requires_grad=True)
    times_ten = lambda g: g * 10  # noqa: E731
    first = x.register_hook(times_ten)
    x.register_hook(times_ten)  # the same function twice: two registrations
    first.remove()
    first.remove()  # (does nothing: the second registration stays)
    handles = []

    def once(g):
        handles[0].remove()  # a hook removing itself while the hooks run

    handles.append(x.register_hook(once))
    x.register_hook(lambda g: g + 1)  # still runs, after `once`
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad, [11.0])
    x.grad = None
    (x * 1).sum().backward()  # `once` is gone
    np.testing.assert_array_equal(x.grad, [11.0])


@pytest.mark.parametrize("copy_of", [copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))],
                         ids=["deepcopy", "pickle"])
def test_a_copy_of_a_tensor_has_no_hooks(copy_of):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    x.register_hook(lambda g: g * 2)  # (a lambda: it could not be pickled)
    y = copy_of(x)
    (y * 1).sum().backward()
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])  # the original keeps its hook


def test_a_tensor_pickled_before_tensors_had_hooks_still_trains():
    """Its pickle holds the four slots of the time; unpickling gives it no hooks."""
    old = object.__new__(Tensor)
    old.__setstate__((None, {"data": np.array([1.0, 2.0]), "grad": None, "requires_grad": True, "_ctx": None}))
    (old * 3).sum().backward()
    np.testing.assert_array_equal(old.grad, [3.0, 3.0])


def test_register_hook_refuses_what_could_not_work():
    with pytest.raises(TypeError, match="register_hook needs a function of the gradient, got int"):
        Tensor([1.0], requires_grad=True).register_hook(3)
    with pytest.raises(RuntimeError, match="register_hook on a tensor that does not require grad"):
        Tensor([1.0]).register_hook(lambda g: g)
    for returned, what in [(np.ones(3), "an array of shape \\(3,\\) and dtype float64"), ([1.0, 2.0], "a list"),
                           (np.ones((2, 1)), "an array of shape \\(2, 1\\) and dtype float64")]:  # (as many)
        x = Tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g, returned=returned: returned)
        with pytest.raises(RuntimeError, match=f"of a tensor of shape \\(2,\\) returned {what}; a hook returns None"):
            (x * 2).sum().backward()
        assert x.grad is None


@pytest.mark.parametrize("returned", [np.array([1 + 2j, 3j]), np.array(["1", "2"])])
def test_a_hook_returning_complex_numbers_or_text_is_refused_not_cut_to_real(returned):
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: returned)
    message = (f"of a tensor of shape \\(2,\\) returned an array of shape \\(2,\\) and dtype {returned.dtype}; "
               f".* real-valued")
    with pytest.raises(RuntimeError, match=message):
        (x * 2).sum().backward()
    assert x.grad is None


def test_a_hook_may_return_integers_or_booleans_which_are_cast_to_the_gradients_dtype():
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    handle = x.register_hook(lambda g: np.array([1, -2]))
    seen = []
    x.register_hook(lambda g: seen.append(g.dtype))  # the next hook sees the cast gradient
    (x * 2).sum().backward()
    handle.remove()
    x.register_hook(lambda g: g > 0)
    (x * 2).sum().backward()
    assert x.grad.dtype == np.float32 and seen == [np.float32, np.float32]
    np.testing.assert_array_equal(x.grad, [2.0, -1.0])


@pytest.mark.parametrize("affine", [F.linear, F.linear_relu], ids=["linear", "linear_relu"])
@pytest.mark.parametrize("x_shape, w_shape", [
    ((2, 1, 0), (3, 0)),  # no input features
    ((2, 0, 4), (3, 4)),  # an empty batch axis
    ((2, 2, 4), (0, 4)),  # no output features
], ids=["in=0", "empty-batch", "out=0"])
def test_linear_backward_with_a_size_0_axis_gives_zero_size_or_zero_gradients(affine, x_shape, w_shape):
    # (reshape(-1, n) of a size-0 array is ambiguous: numpy refused it)
    x = Tensor(np.ones(x_shape), requires_grad=True)
    w = Tensor(np.ones(w_shape), requires_grad=True)
    b = Tensor(np.ones(w_shape[0]), requires_grad=True)
    affine(x, w, b).sum().backward()  # every output is in_features + 1 > 0, so relu passes all of g = 1
    rows, out_features = math.prod(x_shape[:-1]), w_shape[0]
    # dx = g @ W, dW = Σ_rows gᵀ x, db = Σ_rows g
    np.testing.assert_array_equal(x.grad, np.full(x_shape, float(out_features)))
    np.testing.assert_array_equal(w.grad, np.full(w_shape, float(rows)))
    np.testing.assert_array_equal(b.grad, np.full(out_features, float(rows)))


def test_backward_through_a_chain_of_100000_ops():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_max_and_maximum_share_the_gradient_equally_at_ties():
    x = Tensor(np.array([1.0, 3.0, 3.0, 2.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.5, 0.5, 0.0])
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([1.0, 0.0]), requires_grad=True)
    minigrad.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad, [0.5, 1.0])
    np.testing.assert_allclose(b.grad, [0.5, 0.0])


@pytest.mark.parametrize("op", [minigrad.maximum, minigrad.minimum], ids=["maximum", "minimum"])
def test_maximum_and_minimum_propagate_nan_and_give_it_the_gradient(op):
    # as numpy and PyTorch do: a NaN on either side is the result (a ReLU written as maximum(x, 0)
    # must not hide a diverged x)
    a = Tensor(np.array([np.nan, 1.0, np.nan]), requires_grad=True)
    b = Tensor(np.array([1.0, np.nan, np.nan]), requires_grad=True)
    out = op(a, b)
    assert np.isnan(out.data).all()
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0, 0.0])


def test_nan_free_gradients_at_edge_points():
    x = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    (x.sqrt() * Tensor([0.0, 1.0])).sum().backward()  # the √0 branch is multiplied by 0
    np.testing.assert_allclose(x.grad, [0.0, 0.25])
    base = Tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    exponent = Tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    (base**exponent).sum().backward()
    np.testing.assert_allclose(base.grad, [-4.0, 0.0, 6.0])
    np.testing.assert_allclose(exponent.grad, [0.0, 0.0, 9.0 * np.log(3.0)])


def test_an_unused_overflowing_power_leaves_no_nan_in_either_gradient():
    base = Tensor(np.array([10.0, 2.0]), requires_grad=True)
    exponent = Tensor(np.array([400.0, 3.0]), requires_grad=True)
    with np.errstate(over="ignore"):  # 10^400 is inf in float64
        minigrad.where(np.array([False, True]), base**exponent, 0.0).sum().backward()
    np.testing.assert_allclose(base.grad, [0.0, 12.0])
    np.testing.assert_allclose(exponent.grad, [0.0, 8.0 * np.log(2.0)])


def test_abs_and_clip_at_their_kinks():
    # abs: the subgradient 0 at 0; clip: the bounds belong to the inside (gradient 1), as in PyTorch
    x = Tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, 1.0])
    abs(x).sum().backward()  # the builtin, as for arrays
    np.testing.assert_array_equal(x.grad, [-2.0, 0.0, 2.0])
    x = Tensor(np.array([-1.5, -1.0, 0.0, 1.0, 1.5]), requires_grad=True)
    x.clip(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_leaky_relu_takes_the_slope_at_its_kink():
    # at 0 the gradient is the slope, as in PyTorch (g where a > 0, else slope·g)
    x = Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    F.leaky_relu(x, 0.1).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.1, 0.1, 1.0])


def _raw_mlp_loss(params, x, y):
    w1, b1, w2, b2 = params
    h = (x @ w1 + b1).relu()
    return F.cross_entropy(h @ w2 + b2, y)


def _sgd_step(params, loss, lr=0.1):
    loss.backward()
    with no_grad():
        for p in params:
            p.data -= lr * p.grad
            p.grad = None


def test_memory_stays_flat_without_the_garbage_collector():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(32, 16)))
    y = rng.integers(0, 4, size=32)
    params = [Tensor(rng.normal(size=s) * 0.1, requires_grad=True) for s in [(16, 32), (32,), (32, 4), (4,)]]
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        # numpy keeps a small cache of freed buffers; it fills up (~200 KiB) in the first steps.
        for _ in range(2000):
            _sgd_step(params, _raw_mlp_loss(params, x, y))
        before, _ = tracemalloc.get_traced_memory()
        objects_before = len(gc.get_objects())
        for _ in range(2000):
            loss = _raw_mlp_loss(params, x, y)
            probe = weakref.ref(loss._ctx)
            _sgd_step(params, loss)
            assert probe() is None, "the graph outlived its backward pass"
        after, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(gc.get_objects()) - objects_before < 50
        assert after - before < 16 * 1024, f"memory grew by {after - before} bytes over 2000 steps"
    finally:
        gc.enable()


def test_graph_nodes_are_freed_by_reference_counting_alone():
    gc.disable()
    try:
        x = Tensor(np.ones(3), requires_grad=True)
        y = (x * 2).exp().sum()
        probe = weakref.ref(y._ctx.inputs[0]._ctx)
        y.backward()
        assert probe() is None  # released by backward
        z = (x * 2).exp().sum()
        probe = weakref.ref(z._ctx)
        del z  # never backpropagated: freed as soon as the last reference goes
        assert probe() is None
    finally:
        gc.enable()


def test_a_nested_no_grad_leaves_recording_off_until_the_outer_block_ends():
    # the inner block restores the mode it found (off), not "on"
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        with no_grad():
            pass
        assert not minigrad.is_grad_enabled()
        y = x * 2
    assert minigrad.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf


def test_a_constant_operand_gets_no_gradient():
    # only inputs that require grad are given one: a constant Tensor's grad stays None
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = Tensor(np.array([3.0, 5.0]))
    (x * c + c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 5.0])


def retained(x: Tensor) -> Tensor:
    """x * 1, keeping its gradient (retain_grad)."""
    h = x * 1
    h.retain_grad()
    return h


@pytest.mark.parametrize("graph, kept", [
    (lambda x: x, lambda x, out: x),  # backward on the leaf itself
    (lambda x: x + x, lambda x, out: x),  # the seed passed on twice, the second added to the first
    (lambda x: x.reshape(2, 2).reshape(4), lambda x, out: x),  # the seed passed back as views of it
    (retained, lambda x, out: out),  # the seed kept by the tensor backward starts from
], ids=["leaf", "used-twice", "reshaped", "retained"])
def test_a_kept_gradient_is_never_the_callers_grad_array_or_a_view_of_it(graph, kept):
    x = Tensor(np.zeros(4), requires_grad=True)
    seed = np.array([1.0, 2.0, 3.0, 4.0])
    out = graph(x)
    out.backward(seed)
    grad = kept(x, out).grad
    assert not np.shares_memory(grad, seed)
    grad += 100
    np.testing.assert_array_equal(seed, [1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize("seed", [np.array([1.0, 0.5]), [2, 1]], ids=["float64-array", "int-list"])
def test_the_gradient_given_to_backward_reaches_the_hooks_in_the_tensors_dtype(seed):
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.dtype))
    y.backward(seed)
    assert seen == [np.float32]
    np.testing.assert_array_equal(x.grad, 3 * np.asarray(seed, np.float32))


def test_a_leaf_gradient_keeps_the_leafs_dtype_when_a_float64_array_joins():
    # x32 * float64 array is float64 (float arrays keep their dtype); x's gradient is float32
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    (x * np.array([0.5, 2.0])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [0.5, 2.0])


def test_a_leaf_gradient_is_c_contiguous_even_when_its_backward_makes_a_fortran_ordered_array():
    # (the flat optimizers read a one-parameter block's gradient in place through reshape(-1))
    x = Tensor(np.ones((3, 2)), requires_grad=True)
    w = np.asfortranarray(np.arange(6.0).reshape(3, 2))
    (x * Tensor(w)).sum().backward()  # g·w, with g broadcast from a scalar, comes out in w's order
    assert x.grad.flags.c_contiguous
    np.testing.assert_array_equal(x.grad, w)


@pytest.mark.parametrize("shape", [(1,), (1, 1)])
def test_backward_without_grad_takes_any_one_element_tensor(shape):
    x = Tensor(np.array([3.0]), requires_grad=True)
    (x * x).reshape(shape).backward()
    np.testing.assert_array_equal(x.grad, [6.0])
