"""helpers.conv2d shares large convolutions among threads and keeps scratch memory: neither may change a number."""

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import helpers
from helpers import _threads
from helpers import conv as conv_module


def torch_conv2d(x, w, b=None, **kw):
    t = lambda a: None if a is None else torch.from_numpy(np.ascontiguousarray(a))
    return F.conv2d(t(x), t(w), t(b), **kw).numpy()


def layer(seed=0, n=32, c_in=16, c_out=32, size=16, k=3, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, c_in, size, size)).astype(dtype),
            rng.standard_normal((c_out, c_in, k, k)).astype(dtype),
            rng.standard_normal(c_out).astype(dtype))


def blas_threads():
    from threadpoolctl import threadpool_info
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_large_convolutions_are_shared_and_small_ones_are_not(monkeypatch):
    monkeypatch.setenv("HELPERS_NUM_THREADS", "2")
    calls = []
    real_share = conv_module.share
    monkeypatch.setattr(conv_module, "share", lambda work, items, most: calls.append(most) or
                        real_share(work, items, most))
    x, w, b = layer()                                  # the benchmark's second layer
    helpers.conv2d(x, w, b, padding=1)
    assert len(calls) == 1 and calls[0] >= 2 and calls[0] % 2 == 0     # chunks: a multiple of the threads
    helpers.conv2d(*layer(n=2, c_in=3, c_out=4, size=8), padding=1)   # a notebook-sized example
    helpers.conv2d(x.astype(np.int64), w.astype(np.int64), padding=1)  # integers: numpy's own loops
    assert len(calls) == 1


def test_shared_work_runs_on_more_than_one_thread(monkeypatch):
    monkeypatch.setenv("HELPERS_NUM_THREADS", "2")
    if _threads._blas_libraries() is None:
        pytest.skip("threadpoolctl cannot control numpy's BLAS here: work is never shared")
    seen = set()

    def work(items):
        for _ in items:
            seen.add(threading.get_ident())
            threading.Event().wait(0.005)

    _threads.share(work, iter(range(40)), most=2)
    assert len(seen) == 2


@pytest.mark.parametrize("threads", ["2", "3", "4"])
@pytest.mark.parametrize("kw", [dict(padding=1), dict(stride=2, padding=1), dict(padding=2, dilation=2), {}])
@pytest.mark.parametrize("with_bias", [True, False])
def test_shared_work_gives_the_same_numbers_as_one_thread(monkeypatch, threads, kw, with_bias):
    x, w, b = layer()
    b = b if with_bias else None
    monkeypatch.setenv("HELPERS_NUM_THREADS", "1")
    alone = helpers.conv2d(x, w, b, **kw)
    monkeypatch.setenv("HELPERS_NUM_THREADS", threads)
    shared = helpers.conv2d(x, w, b, **kw)
    np.testing.assert_array_equal(shared, alone)          # bit for bit: each image is computed the same way
    np.testing.assert_allclose(shared, torch_conv2d(x, w, b, **kw), rtol=1e-4, atol=1e-4)


def test_shared_work_leaves_numpys_blas_threads_as_they_were(monkeypatch):
    monkeypatch.setenv("HELPERS_NUM_THREADS", "2")
    before = blas_threads()
    helpers.conv2d(*layer(), padding=1)
    assert blas_threads() == before


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_bad_thread_count_in_the_environment_is_named(monkeypatch, value):
    monkeypatch.setenv("HELPERS_NUM_THREADS", value)
    with pytest.raises(ValueError, match="HELPERS_NUM_THREADS.*whole number"):
        _threads.num_threads()


def test_default_thread_count_is_the_free_cores_at_most_four(monkeypatch):
    monkeypatch.delenv("HELPERS_NUM_THREADS", raising=False)
    assert 1 <= _threads.num_threads() <= 4


def test_an_error_in_a_helper_thread_reaches_the_caller_and_the_next_call_still_works(monkeypatch):
    monkeypatch.setenv("HELPERS_NUM_THREADS", "2")
    if _threads._blas_libraries() is None:
        pytest.skip("threadpoolctl cannot control numpy's BLAS here: work is never shared")
    main = threading.get_ident()
    done = []

    def work(items):
        for item in items:
            if threading.get_ident() != main:
                raise RuntimeError("helper thread failed")
            done.append(item)
            threading.Event().wait(0.01)          # leave items for the helper thread to take

    with pytest.raises(RuntimeError, match="helper thread failed"):
        _threads.share(work, iter(range(20)), most=2)
    seen = []
    _threads.share(lambda items: seen.extend(items), iter(range(5)), most=2)
    assert sorted(seen) == list(range(5))


def test_every_item_is_taken_exactly_once(monkeypatch):
    monkeypatch.setenv("HELPERS_NUM_THREADS", "4")
    taken, lock = [], threading.Lock()

    def work(items):
        for item in items:
            with lock:
                taken.append(item)

    _threads.share(work, iter(range(1000)), most=4)
    assert sorted(taken) == list(range(1000))


def test_convolutions_from_two_threads_at_once_are_both_right(monkeypatch):
    monkeypatch.setenv("HELPERS_NUM_THREADS", "2")
    inputs = [layer(seed) for seed in range(4)]
    expected = [torch_conv2d(x, w, b, padding=1) for x, w, b in inputs]
    results = [None] * 4
    errors = []

    def convolve(i):
        try:
            for _ in range(5):
                results[i] = helpers.conv2d(*inputs[i], padding=1)
        except Exception as err:                  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=convolve, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_kept_scratch_memory_never_leaks_into_the_next_result():
    # the padded input and the im2col columns are reused between calls: a call with other padding, other
    # sizes, another dtype or bigger values before must not leave anything behind in the zeros
    rng = np.random.default_rng(5)
    calls = [((2, 3, 9, 9), (4, 3, 3, 3), dict(padding=2)),
             ((2, 3, 9, 9), (4, 3, 3, 3), dict(padding=1)),
             ((2, 3, 9, 9), (4, 3, 2, 2), dict(padding="same")),
             ((2, 3, 10, 8), (4, 3, 3, 3), dict(padding=1)),
             ((2, 3, 9, 9), (4, 3, 3, 3), dict(padding=2)),
             ((1, 3, 9, 9), (4, 3, 3, 3), dict(padding=(0, 3))),
             ((2, 3, 9, 9), (4, 3, 3, 3), dict(padding=2))]
    for dtype in (np.float64, np.float32, np.float64):
        for xs, ws, kw in calls:
            x = (rng.standard_normal(xs) * 1e6).astype(dtype)
            w = rng.standard_normal(ws).astype(dtype)
            b = rng.standard_normal(ws[0]).astype(dtype)
            tol = 1e-9 if dtype == np.float64 else 1e-3
            np.testing.assert_allclose(helpers.conv2d(x, w, b, **kw) / 1e6, torch_conv2d(x, w, b, **kw) / 1e6,
                                       rtol=tol, atol=tol)
    out = helpers.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), padding=1)
    np.testing.assert_array_equal(out[0, 0], [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]])


def test_results_do_not_share_memory_with_the_scratch():
    x, w, b = layer(n=2)
    first = helpers.conv2d(x, w, b, padding=1)
    kept = first.copy()
    helpers.conv2d(x * 3, w, b, padding=1)
    np.testing.assert_array_equal(first, kept)


@pytest.mark.parametrize("threads", ["1", "2"])
def test_products_done_in_column_blocks_match_torch(monkeypatch, threads):
    # 64 kernels of 24·3·3 + 1 numbers over 20×21 positions: about 4 column blocks per image, of unequal sizes
    monkeypatch.setenv("HELPERS_NUM_THREADS", threads)
    x, w, b = layer(seed=7, n=5, c_in=24, c_out=64, size=20, dtype=np.float64)
    rows, length = 24 * 9 + 1, 20 * 21
    assert 64 * rows * length > 3 * conv_module._SMALL_PRODUCT
    np.testing.assert_allclose(helpers.conv2d(x, w, b, padding=1), torch_conv2d(x, w, b, padding=1),
                               rtol=1e-10, atol=1e-10)
