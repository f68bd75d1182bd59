"""DeepTrack2's Image tutorial (DTAT311_image.ipynb), cell by cell, with only the imports changed.

Each cell's code is the notebook's code verbatim (``from deeptrack.features`` -> ``from
deeptrack_native.features``, ``from deeptrack.image`` -> ``from deeptrack_native.image``); the test
runs it in one namespace, as the notebook does, and asserts what the cell prints.
"""

import contextlib
import io
import re
import textwrap
import unittest

import numpy as np

NUMBER = r"-?\d+\.?\d*(?:e[+-]?\d+)?"
POSITION = rf"array\(\[ *{NUMBER} *, +{NUMBER} *\]\)"


class ImageTutorial(unittest.TestCase):
    """The cells share one namespace, in order, like the notebook's kernel."""

    @classmethod
    def setUpClass(cls):
        cls.ns = {}

    def run_cell(self, source):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(textwrap.dedent(source), self.ns)
        return out.getvalue()

    def eval_cell(self, source):
        return eval(textwrap.dedent(source).strip(), self.ns)

    def test_cells_in_order(self):
        # In 2: import numpy as np
        self.run_cell("import numpy as np")

        # In 3: a custom feature, store_properties, resolve on an Image.
        printed = self.run_cell(
            """
            from deeptrack_native.features import Feature
            from deeptrack_native.image import Image

            class Particle(Feature):
                def get(self, image, position=None, **kwargs):
                    # Code for simulating a particle not included
                    return image

            image_shape = (256, 256)

            particle = Particle(
                position=lambda: np.random.rand(2) * np.array(image_shape),
            )
            particle.store_properties()  # Return Image instead of NumPy array.

            input_image = Image(np.zeros(image_shape))
            # input_image = np.zeros(image_shape)  # The input image can be a NumPy array.

            output_image = particle.resolve(input_image)

            print(output_image)
            print(output_image.properties)
            """
        )
        # DeepTrack2 prints "Image(" + repr of the array + ")"; the array's repr depends on the numpy
        # version (numpy >= 2.2 appends ", shape=(256, 256)" to summarised arrays).
        expected_image = "Image(" + repr(np.zeros((256, 256))) + ")"
        self.assertTrue(expected_image.startswith("Image(array([[0., 0., 0., ..., 0., 0., 0.],\n"))
        image_text, props_line = printed.rstrip("\n").rsplit("\n", 1)
        self.assertEqual(image_text, expected_image)
        self.assertRegex(props_line, rf"^\[{{'position': {POSITION}, 'name': 'Particle'}}\]$")
        first = self.ns["output_image"].properties[0]
        self.assertEqual(list(first), ["position", "name"])
        self.assertTrue(((0 <= first["position"]) & (first["position"] < 256)).all())

        # In 4: the same particle resolved again; merging keeps one set.
        printed = self.run_cell(
            """
            # The same particle is resolved again.
            second_identical_image = particle.resolve(input_image)

            output_image.merge_properties_from(second_identical_image)

            print(output_image.properties)
            """
        )
        self.assertRegex(printed.strip(), rf"^\[{{'position': {POSITION}, 'name': 'Particle'}}\]$")
        self.assertIs(self.ns["second_identical_image"].properties[0], first)

        # In 5: after an update the properties are distinct.
        printed = self.run_cell(
            """
            particle.update()
            updated_image = particle.resolve(input_image)

            output_image.merge_properties_from(updated_image)

            print(output_image.properties)
            """
        )
        pattern = (
            rf"^\[{{'position': {POSITION}, 'name': 'Particle'}}, {{'position': {POSITION}, 'name': 'Particle'}}\]$"
        )
        self.assertRegex(printed.strip(), pattern)
        props = self.ns["output_image"].properties
        self.assertIs(props[0], first)
        self.assertFalse((props[0]["position"] == props[1]["position"]).all())

        # In 6-10: get_property.
        self.assertEqual(repr(self.eval_cell('output_image.get_property("name")')), "'Particle'")
        position = self.eval_cell('output_image.get_property("position")')
        self.assertIs(position, props[0]["position"])
        self.assertRegex(repr(position), f"^{POSITION}$")
        self.assertEqual(self.eval_cell('output_image.get_property("name", get_one=False)'), ["Particle", "Particle"])
        positions = self.eval_cell('output_image.get_property("position", get_one=False)')
        self.assertEqual(len(positions), 2)
        self.assertIs(positions[1], props[1]["position"])
        self.assertEqual(
            self.eval_cell(
                """
                output_image.get_property("a_property_that_does_not_exist",
                                          default="Not found!")
                """
            ),
            "Not found!",
        )

        # In 11: extra keyword arguments as metadata; (A ^ 4) >> B.
        printed = self.run_cell(
            """
            particle_to_track = Particle(
                position=lambda: np.random.rand(2) * np.array(image_shape),
                track_me=True,
            )
            particle_to_track.store_properties()  # Return Image.

            particle_not_to_track = Particle(
                position=lambda: np.random.rand(2) * np.array(image_shape),
                track_me=False,
            )
            particle_not_to_track.store_properties()  # Return Image.

            input_image = Image(np.zeros(image_shape))

            # 5 particles are resolved, 4 of which are not tracked.
            particles = (particle_not_to_track ^ 4) >> particle_to_track
            particles.store_properties()  # Return Image.

            output_image = particles.resolve(input_image)

            print(output_image.get_property("track_me", get_one=False))
            """
        )
        self.assertEqual(printed, "[False, False, False, False, True]\n")
        props = self.ns["output_image"].properties
        self.assertEqual(
            [sorted(p) for p in props],
            [["_ID", "name", "position", "track_me"]] * 4 + [["N", "name"], ["name", "position", "track_me"], ["name"]],
        )
        self.assertEqual([p.get("_ID") for p in props[:4]], [(0,), (1,), (2,), (3,)])
        self.assertEqual(dict(props[4]), {"N": 4, "name": "Repeat"})
        self.assertEqual(dict(props[6]), {"name": "Chain"})
        self.assertEqual(len({tuple(p["position"]) for p in props if "position" in p}), 5)

        # In 12: a random diffusion per repetition.
        printed = self.run_cell(
            """
            particle = Particle(
                position=lambda: np.random.rand(2) * np.array(image_shape),
                diffusion=lambda: 1 + np.random.rand() * 4,
            )
            particle.store_properties()  # Return Image.

            input_image = Image(np.zeros(image_shape))

            # 3 particles are resolved, and their diffusion is stored.
            particles = particle ^ 3
            particles.store_properties()  # Return Image.

            output_image = particles.resolve(input_image)

            print(output_image.get_property("diffusion", get_one=False))
            """
        )
        match = re.fullmatch(rf"\[({NUMBER}), ({NUMBER}), ({NUMBER})\]\n", printed)
        self.assertIsNotNone(match, printed)
        diffusions = [float(x) for x in match.groups()]
        self.assertEqual(len(set(diffusions)), 3)
        self.assertTrue(all(1 <= d < 5 for d in diffusions))
        props = self.ns["output_image"].properties
        self.assertEqual([p.get("_ID") for p in props], [(0,), (1,), (2,), None])
        self.assertEqual(dict(props[3]), {"N": 3, "name": "Repeat"})


if __name__ == "__main__":
    unittest.main()
