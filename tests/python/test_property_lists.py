"""Property lists as DeepTrack2 2.0.1 gives them, for the kinds whose lists differed (audit 29):
bind_arguments' Arguments dict, SampleToMasks (no dict of its own, none of its transformation),
TakeProperties (its dict on the arrays it appends only), Affine's recorded scale and translate.
Every expected list and value below is what deeptrack 2.0.1 gives for the same pipeline."""

import unittest

import numpy as np

import deeptrack_native as dt


def names(image):
    return [d.get("name") for d in image.properties]


def masks(pipeline):
    return pipeline >> dt.SampleToMasks(lambda: lambda v: v > 0, output_region=(0, 0, 16, 16), merge_method="or")


class TestBindArguments(unittest.TestCase):
    def pipeline(self):
        args = dt.Arguments(x=4.0)
        p = dt.Value(value=np.ones((4, 4))) >> dt.Add(value=args.x)
        p.bind_arguments(args)
        p.store_properties()
        return p

    def test_the_arguments_dict_comes_before_the_pipelines_own(self):
        out = self.pipeline().update().resolve()
        # 2.0.1: ['Value', 'Add', 'Arguments', 'Chain'], the dict {'x': 4.0, 'name': 'Arguments'}.
        self.assertEqual(names(out), ["Value", "Add", "Arguments", "Chain"])
        self.assertEqual(dict(out.properties[2]), {"x": 4.0, "name": "Arguments"})
        self.assertEqual(list(out.properties[2]), ["x", "name"])
        self.assertEqual(float(np.asarray(out)[0, 0]), 5.0)

    def test_the_dict_holds_the_values_given_to_resolve(self):
        p = self.pipeline()
        p.update()
        out = p.resolve(x=9.0)
        # 2.0.1: {'x': 9.0, 'name': 'Arguments'} and 1 + 9.
        self.assertEqual(names(out), ["Value", "Add", "Arguments", "Chain"])
        self.assertEqual(dict(out.properties[2]), {"x": 9.0, "name": "Arguments"})
        self.assertEqual(float(np.asarray(out)[0, 0]), 10.0)
        self.assertEqual(out.get_property("x"), 9.0)
        # The value given is for that resolve only.
        self.assertEqual(dict(p.update().resolve().properties[2]), {"x": 4.0, "name": "Arguments"})

    def test_a_longer_chain_gets_it_before_its_last_dict(self):
        args = dt.Arguments(x=4.0)
        p = dt.Value(value=np.ones((2, 2))) >> dt.Add(value=args.x) >> dt.Multiply(value=2)
        p.bind_arguments(args)
        p.store_properties()
        out = p.update().resolve()
        # 2.0.1: ['Value', 'Add', 'Chain', 'Multiply', 'Arguments', 'Chain'].
        self.assertEqual(names(out), ["Value", "Add", "Chain", "Multiply", "Arguments", "Chain"])

    def test_without_stored_properties_the_result_is_the_array(self):
        args = dt.Arguments(x=4.0)
        p = dt.Value(value=np.ones((2, 2))) >> dt.Add(value=args.x)
        p.bind_arguments(args)
        out = p.update().resolve()
        self.assertNotIsInstance(out, dt.Image)
        np.testing.assert_array_equal(out, np.full((2, 2), 5.0))


class TestSampleToMasksDicts(unittest.TestCase):
    def test_one_scatterer(self):
        m = masks(dt.PointParticle(position=(5, 9), intensity=1))
        m.store_properties()
        out = m.update().resolve()
        # 2.0.1: ['PointParticle', 'Chain'] (neither a SampleToMasks dict nor the function's).
        self.assertEqual(names(out), ["PointParticle", "Chain"])
        self.assertEqual(np.asarray(out)[5, 9, 0], 1.0)
        np.testing.assert_array_equal(out.get_property("position"), [5, 9])

    def test_a_list_of_scatterers(self):
        m = masks(dt.PointParticle(position=(5, 9), intensity=1) ^ 2)
        m.store_properties()
        out = m.update().resolve()
        # 2.0.1: ['PointParticle', 'Repeat', 'PointParticle', 'Chain'].
        self.assertEqual(names(out), ["PointParticle", "Repeat", "PointParticle", "Chain"])

    def test_after_optics(self):
        optics = dt.Fluorescence(NA=0.8, wavelength=680e-9, magnification=1, resolution=1e-6, output_region=(0, 0, 16, 16))
        m = masks(optics(dt.PointParticle(position=(5, 9), intensity=1) ^ 2))
        m.store_properties()
        out = m.update().resolve()
        # 2.0.1: ['Fluorescence', 'Fluorescence', 'Chain']: the scatterers' dicts (which its optics
        # rename, a documented difference), not the optics' own dict (no position) nor SampleToMasks'.
        self.assertEqual(names(out), ["PointParticle", "PointParticle", "Chain"])
        self.assertEqual(len(out.get_property("position", get_one=False)), 2)

    def test_inside_an_image_and_mask_pair(self):
        optics = dt.Fluorescence(NA=0.8, wavelength=680e-9, magnification=1, resolution=1e-6, output_region=(0, 0, 16, 16))
        particle = dt.PointParticle(position=(5, 9), intensity=1)
        pair = optics(particle) & masks(particle)
        pair.store_properties()
        image, mask = pair.update().resolve()
        # 2.0.1: the mask's ['Fluorescence', 'Chain', 'Stack', 'Chain'] (the sample renamed there).
        self.assertEqual(names(mask), ["PointParticle", "Chain", "Stack", "Chain"])
        self.assertIs(mask.properties[0], image.properties[0])

    def test_a_feature_as_transformation_records_nothing_either(self):
        m = dt.PointParticle(position=(5, 9), intensity=1) >> dt.SampleToMasks(
            dt.Lambda(lambda: lambda v: v * 3), output_region=(0, 0, 16, 16)
        )
        m.store_properties()
        out = m.update().resolve()
        self.assertEqual(names(out), ["PointParticle", "Chain"])
        self.assertEqual(np.asarray(out)[5, 9, 0], 3.0)


class TestTakePropertiesDicts(unittest.TestCase):
    def test_the_input_passes_through_without_its_dict(self):
        p = dt.Value(value=np.zeros((2, 2))) >> (dt.PointParticle(position=(1, 2)) ^ 2)
        tp = p >> dt.TakeProperties(p, "position")
        tp.store_properties()
        out = tp.update().resolve()
        # 2.0.1: the input ['Value', 'Repeat', 'Chain', 'Chain'], the taken array ['TakeProperties', 'Chain'].
        self.assertEqual(names(out[0]), ["Value", "Repeat", "Chain", "Chain"])
        self.assertEqual(names(out[-1]), ["TakeProperties", "Chain"])
        np.testing.assert_array_equal(np.asarray(out[-1]), [[1, 2], [1, 2]])


class TestAffineRecords(unittest.TestCase):
    def recorded(self, **kwargs):
        a = dt.Affine(**kwargs)
        a.store_properties()
        out = a.update().resolve(np.zeros((6, 6)))
        d = [x for x in out.properties if x.get("name") == "Affine"][0]
        return d["scale"], d["translate"], d["translate_px"]

    def test_numbers_are_recorded_as_pairs(self):
        # 2.0.1's (scale, translate, translate_px) for each form.
        cases = [
            (dict(rotate=0.4), ((1, 1), (0.0, 0.0), 0.0)),
            (dict(scale=1.5), ((1.5, 1.5), (0.0, 0.0), 0.0)),
            (dict(scale=(1.5, 0.8)), ((1.5, 0.8), (0.0, 0.0), 0.0)),
            (dict(translate=3), ((1, 1), (3, 3), 3)),
            (dict(translate=(3.0, -2.0)), ((1, 1), (3.0, -2.0), (3.0, -2.0))),
            (dict(translate_px=2), ((1, 1), (2, 2), 2)),
            (dict(translate_px=(1.0, 2.0)), ((1, 1), (1.0, 2.0), (1.0, 2.0))),
        ]
        for kwargs, expected in cases:
            with self.subTest(**kwargs):
                got = self.recorded(**kwargs)
                self.assertEqual(got, expected)
                self.assertEqual([type(g) for g in got], [type(e) for e in expected])

    def test_lists_and_arrays_are_recorded_as_given(self):
        scale, translate, _ = self.recorded(scale=[1.5, 0.8], translate=np.array([1.0, 2.0]))
        self.assertEqual(scale, [1.5, 0.8])
        self.assertIsInstance(translate, np.ndarray)
        np.testing.assert_array_equal(translate, [1.0, 2.0])

    def test_random_values_are_recorded_as_drawn(self):
        a = dt.Affine(scale=lambda: np.random.uniform(0.8, 1.2), translate=lambda: np.random.uniform(-3, 3, 2))
        a.store_properties()
        for _ in range(3):
            out = a.update().resolve(np.zeros((6, 6)))
            d = [x for x in out.properties if x.get("name") == "Affine"][0]
            self.assertIsInstance(d["scale"], tuple)
            self.assertEqual(d["scale"][0], d["scale"][1])
            self.assertEqual(d["scale"][0], a.scale())
            np.testing.assert_array_equal(d["translate"], a.translate())


class TestReducersOfAList(unittest.TestCase):
    """A reduction of a list of images: distributed, each image keeps its dicts then the reducer's (as
    2.0.1); not distributed (one result for the list), the result keeps every input's dicts before
    the reducer's, a deliberate difference: 2.0.1's numpy call on the list makes a new Image holding
    only ``[{'name': 'Sum', ...}]``, dropping the ground truth of the images reduced."""

    def inputs(self):
        x = dt.Image(np.arange(6.0).reshape(2, 3))
        x.properties.append({"name": "A", "v": 1})
        y = dt.Image(np.arange(6.0).reshape(2, 3) + 1)
        y.properties.append({"name": "B", "v": 2})
        return [x, y]

    def test_distributed_and_not(self):
        for kind in ("Sum", "Mean", "Max", "Cumsum"):
            with self.subTest(kind=kind):
                f = getattr(dt, kind)(axis=0, distributed=True).store_properties()
                each = f.resolve(self.inputs())
                self.assertEqual([names(r) for r in each], [["A", kind], ["B", kind]])
                f = getattr(dt, kind)(axis=0, distributed=False).store_properties()
                one = f.resolve(self.inputs())
                self.assertEqual(names(one), ["A", "B", kind])
                self.assertEqual([one.properties[0]["v"], one.properties[1]["v"]], [1, 2])
        total = dt.Sum(axis=0, distributed=False).store_properties().resolve(self.inputs())
        np.testing.assert_array_equal(total, np.arange(6.0).reshape(2, 3) * 2 + 1)


if __name__ == "__main__":
    unittest.main()
