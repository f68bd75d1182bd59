"""Python objects as property values travel with the images, as DeepTrack2 2.0.1 keeps any object a
property is given: a set, an instance of a user's class or a function (``Lambda``'s ``function``) is
the same object in every image's property dicts and from ``get_property``, whether it was given to
the feature, returned by a rule, or given to ``resolve``; a dict is sampled as 2.0.1 samples one (its
values, callables called, into an equal new dict). The library holds each as an
object value it never reads (``DEEPTRACK_VALUE_KIND_OBJECT``) and lets it go with its last copy.
Expectations were observed with DeepTrack2 2.0.1 on the same code (the first four classes pass there
unchanged)."""

import gc
import pickle
import time
import unittest
import weakref

import numpy as np

import deeptrack_native as dt


class Thing:
    """A user's object."""

    def __init__(self, tag=0):
        self.tag = tag


def _dicts(pipeline, x=None):
    pipeline.store_properties()
    out = pipeline.resolve(dt.Image(np.zeros((2, 2))) if x is None else x)
    return out, out.properties


class GivenToAFeature(unittest.TestCase):
    def test_the_same_objects_in_the_dict(self):
        meta, thing, tags = {"a": 1}, Thing(), {1, 2}
        out, dicts = _dicts(dt.DummyFeature(meta=meta, obj=thing, tags=tags))
        self.assertEqual(dicts[0]["meta"], meta)
        self.assertIs(dicts[0]["obj"], thing)
        self.assertIs(dicts[0]["tags"], tags)
        self.assertEqual(dicts[0]["name"], "DummyFeature")
        self.assertIs(out.get_property("obj"), thing)

    def test_through_a_chain(self):
        meta = {"q": [1, 2]}
        out, dicts = _dicts(dt.Add(value=1) >> dt.DummyFeature(meta=meta))
        self.assertEqual([d["name"] for d in dicts], ["Add", "DummyFeature", "Chain"])
        self.assertEqual(dicts[1]["meta"], meta)
        self.assertEqual(out.get_property("meta"), meta)
        np.testing.assert_array_equal(out, np.ones((2, 2)))

    def test_next_to_a_built_in_kinds_parameters(self):
        thing = Thing(3)
        out, dicts = _dicts(dt.Multiply(value=2, label=thing))
        self.assertEqual(dicts[0]["value"], 2)
        self.assertIs(dicts[0]["label"], thing)


class DictsAndListsAreSampled(unittest.TestCase):
    def test_callables_inside_are_called_at_every_update(self):
        feature = dt.DummyFeature(
            meta={"a": 1, "f": lambda: 7, "n": {"x": lambda: 8}, "l": [lambda: 9, 2]},
            items=[lambda: 5, {"z": lambda: 6}],
            draw={"u": lambda: np.random.rand()},
        )
        _, dicts = _dicts(feature)
        self.assertEqual(dicts[0]["meta"], {"a": 1, "f": 7, "n": {"x": 8}, "l": [9, 2]})
        self.assertEqual(dicts[0]["items"], [5, {"z": 6}])
        self.assertEqual(feature.meta(), dicts[0]["meta"])
        first = feature.draw()
        feature.update()
        second = feature.draw()
        self.assertEqual(set(first), {"u"})
        self.assertNotEqual(first["u"], second["u"])

    def test_a_tuple_is_a_constant(self):
        f = lambda: 1  # noqa: E731
        _, dicts = _dicts(dt.DummyFeature(pair=(f, 2)))
        self.assertEqual(dicts[0]["pair"], (f, 2))


class ReturnedByARule(unittest.TestCase):
    def test_each_update_records_its_own_object(self):
        feature = dt.DummyFeature(meta=lambda: {"draw": np.random.rand()})
        feature.store_properties()
        seen = []
        for _ in range(3):
            feature.update()
            out = feature.resolve(dt.Image(np.zeros(2)))
            meta = out.get_property("meta")
            self.assertIsInstance(meta, dict)
            self.assertEqual(meta, feature.meta())  # the reader gives the same sample
            seen.append(meta["draw"])
        self.assertEqual(len(set(seen)), 3)

    def test_lambdas_function_is_the_function_its_rule_made(self):
        def add(a):
            return lambda x: x + a

        out, dicts = _dicts(dt.Lambda(add, a=2))
        self.assertEqual(dicts[0]["a"], 2)
        self.assertTrue(callable(dicts[0]["function"]))
        self.assertEqual(dicts[0]["function"](1), 3)
        np.testing.assert_array_equal(out, np.full((2, 2), 2.0))

    def test_a_function_a_rule_returns_reaches_get_and_the_dict(self):
        class Apply(dt.Feature):
            def get(self, image, fn, **kwargs):
                return fn(image)

        made = []

        def rule():
            made.append(lambda x: x + len(made))
            return made[-1]

        feature = Apply(fn=rule)
        feature.store_properties()
        for n in (1, 2):
            feature.update()
            out = feature.resolve(np.zeros(2))
            np.testing.assert_array_equal(out, np.full(2, float(n)))
            self.assertIs(out.get_property("fn"), made[-1])  # the function of this update, itself
            self.assertIs(feature.fn(), made[-1])


class GivenToResolve(unittest.TestCase):
    def test_an_object_given_to_resolve_is_recorded(self):
        thing = Thing(5)
        feature = dt.DummyFeature(obj=None)
        feature.store_properties()
        out = feature.resolve(dt.Image(np.zeros(2)), obj=thing)
        self.assertIs(out.get_property("obj"), thing)


class Batches(unittest.TestCase):
    def test_every_image_of_a_threaded_batch_holds_the_object(self):
        if not hasattr(dt.Feature, "resolve_batch"):
            self.skipTest("DeepTrack2 has no resolve_batch")
        thing = Thing()
        pipeline = dt.Value(value=lambda: np.random.rand(2, 2)) >> dt.DummyFeature(obj=thing)
        pipeline.store_properties()
        for out in pipeline.resolve_batch(6, seed=1, threads=2):
            self.assertIs(out.get_property("obj"), thing)

    def test_through_processes_what_pickles_arrives_and_a_sampled_function_is_none(self):
        if not hasattr(dt.Feature, "resolve_batch"):
            self.skipTest("DeepTrack2 has no resolve_batch")
        pipeline = (
            dt.Value(value=lambda: np.zeros(2))
            >> dt.Lambda(lambda a: (lambda x: x + a), a=lambda: np.random.rand())
            >> dt.DummyFeature(meta={"k": 1})
            # Items that take a while, so that the worker takes some even on a loaded machine (this
            # process takes chunks as well, and would render them all before a slow worker started).
            >> dt.Lambda(lambda: lambda x: (time.sleep(0.02), x)[1])
        )
        pipeline.store_properties()
        outs = pipeline.resolve_batch(24, seed=1, processes=2)
        self.assertEqual([o.get_property("meta") for o in outs], [{"k": 1}] * 24)
        functions = [o.properties[1]["function"] for o in outs]
        # Rendered in this process: the function; in the worker: None (a local function does not pickle).
        self.assertTrue(all(f is None or callable(f) for f in functions))
        self.assertTrue(any(f is None for f in functions))
        for o in outs:
            pickle.dumps(o.properties[3])


class Released(unittest.TestCase):
    def test_the_object_goes_with_the_last_image_and_feature(self):
        if not hasattr(dt, "_objects"):
            self.skipTest("the library's object values are deeptrack_native's")
        thing = Thing()
        gone = weakref.ref(thing)
        feature = dt.DummyFeature(obj=thing)
        feature.store_properties()
        out = feature.resolve(dt.Image(np.zeros(2)))
        del thing
        gc.collect()
        self.assertIsNotNone(gone())  # the feature and the image hold it
        del feature, out
        gc.collect()
        dt._objects.drain()
        self.assertIsNone(gone())


if __name__ == "__main__":
    unittest.main()


class ValuesThatAreNoImage(unittest.TestCase):
    """A ``Value`` of None, a string or a dict: 2.0.1 wraps it in an ``Image`` with the dict when the
    properties are stored, and ``Value(None)`` in a pipeline gives no image."""

    def test_stored_values_are_images_of_the_value(self):
        for given in (None, "label", {"a": 1}):
            v = dt.Value(given)
            v.store_properties()
            out = v()
            self.assertIsInstance(out, dt.Image)
            self.assertEqual(out._value, given)
            self.assertEqual(out.properties, [{"value": given, "name": "Value"}])

    def test_none_in_a_pipeline_gives_no_image(self):
        for after in (dt.DummyFeature(), dt.Add(1)):
            self.assertEqual((dt.Value(None) >> after)(), [])
        self.assertIsNone(dt.Value(None)())


class ToDict(dt.Feature):
    """A custom feature whose get returns a dict in place of an image."""

    def get(self, image, scale=1, **kwargs):
        return {"mean": float(np.mean(image)) * scale}


class Seen(dt.Feature):
    """A custom feature recording what its get received, and returning it."""

    def get(self, image, **kwargs):
        self.received = image
        return image


class ObjectsInPlaceOfImages(unittest.TestCase):
    """What a custom ``get`` returns that is no array (a dict, a string, a tuple, any object; a list is
    several images: test_list_results.py) passes on as DeepTrack2 2.0.1 passes it: to the next custom feature's ``get``, through
    ``DummyFeature``, and out of the pipeline; an ``Image`` of it with the dicts when properties are
    stored."""

    def test_returned_as_it_is(self):
        returns = [{"a": 1}, "label", (np.ones(2), 2), (np.ones(2), np.zeros(3)), Thing]
        for given in returns:

            class Gives(dt.Feature):
                def get(self, image, **kwargs):
                    return given

            got = (dt.Value(np.ones((2, 2))) >> Gives())()
            self.assertIs(got, given)

    def test_passed_to_the_next_get_through_dummy(self):
        seen = Seen()
        out = (dt.Value(np.ones((2, 2))) >> ToDict(scale=2) >> dt.DummyFeature() >> seen)()
        self.assertEqual(seen.received, {"mean": 2.0})
        self.assertEqual(out, {"mean": 2.0})

    def test_stored_an_image_of_it_with_the_dicts(self):
        pipeline = dt.Value(np.ones((2, 2))) >> ToDict(scale=3)
        pipeline.store_properties()
        out = pipeline()
        self.assertIsInstance(out, dt.Image)
        self.assertEqual(out._value, {"mean": 3.0})
        self.assertEqual([d["name"] for d in out.properties], ["Value", "ToDict", "Chain"])
        self.assertEqual(out.get_property("scale"), 3)

    def test_a_kind_that_computes_refuses_it(self):
        with self.assertRaises(TypeError) as caught:
            (dt.Value(np.ones((2, 2))) >> ToDict() >> dt.Add(1))()
        if hasattr(dt, "DeepTrackError"):
            self.assertIn("Add cannot compute with an object", str(caught.exception))

    def test_every_item_of_a_threaded_batch(self):
        if not hasattr(dt.Feature, "resolve_batch"):
            self.skipTest("DeepTrack2 has no resolve_batch")
        pipeline = dt.Value(value=lambda: np.full(2, np.random.rand())) >> ToDict()
        got = pipeline.resolve_batch(4, seed=2, threads=2)
        self.assertEqual(len(got), 4)
        self.assertTrue(all(set(g) == {"mean"} for g in got))
        self.assertEqual(len({g["mean"] for g in got}), 4)


class ObjectsReachOnlyWhatTakesThem(unittest.TestCase):
    """Where an object passed on meets a kind: the pass-through ones hand it on, the computing ones
    refuse it naming themselves (2.0.1 fails in numpy), a merge may return one, and a kind given one
    as a feature-valued property refuses it naming the property."""

    def test_stack_and_merge_hand_it_on(self):
        got = (ToDict() & dt.Value(np.ones(2))).resolve(np.ones((2, 2)))
        self.assertEqual(got[0], {"mean": 1.0})
        np.testing.assert_array_equal(got[1], np.ones(2))
        self.assertEqual(dt.Merge(lambda: lambda images: {"n": len(images)}).resolve(np.ones(2)), {"n": 1})
        self.assertEqual((ToDict() >> dt.Merge(lambda: lambda images: images)).resolve(np.ones(2)), {"mean": 1.0})

    def test_a_value_of_an_object_in_a_pipeline_passes_on(self):
        self.assertEqual((dt.Value({"a": 1}) >> dt.DummyFeature())(), {"a": 1})

    def test_computing_kinds_refuse_it(self):
        if not hasattr(dt, "DeepTrackError"):
            self.skipTest("2.0.1 fails in numpy, or gives an empty list")
        for pipeline, name in [
            (dt.Exp(dt.Value(np.ones(2)) >> ToDict()), "Exp"),
            (ToDict() >> dt.Squeeze(), "Squeeze"),
        ]:
            with self.assertRaisesRegex(TypeError, f"{name} cannot compute with an object"):
                pipeline.resolve(np.ones((2, 2)))
        with self.assertRaisesRegex(TypeError, "property 'value' of feature 'Add'.*object"):
            dt.Add(value=dt.Value(np.ones(2)) >> ToDict()).resolve(np.ones(2))

    def test_an_object_a_worker_process_cannot_send_is_a_clear_error(self):
        if not hasattr(dt, "_processes"):
            self.skipTest("DeepTrack2 has no worker processes")
        from deeptrack_native import _processes

        self.assertEqual(_processes.sendable([{"a": 1}]), [{"a": 1}])
        with self.assertRaisesRegex(TypeError, "cannot be sent from a worker process"):
            _processes.sendable([lambda: 1])

    def test_a_finaliser_that_makes_objects_does_not_wait_for_itself(self):
        if not hasattr(dt, "_objects"):
            self.skipTest("the library's object values are deeptrack_native's")

        class Finalised:
            def __del__(self):
                dt.DummyFeature(meta={"x": 1})

        for _ in range(3):
            dt.DummyFeature(meta=Finalised())
        gc.collect()
        dt.DummyFeature(meta={"y": 2}).resolve(np.ones(2))  # drains: the finalisers run, and return
        dt._objects.drain()
