"""Training from the drives on real data: scripts/train_fashion_mnist.py packs Debian's
Fashion-MNIST onto four drives, removes one, trains two epochs through FerryDataLoader
with two workers and reads the test set off the drives. Test accuracy must reach 80 %.

Half of the 60,000 training images keep it within about a minute and a half on two
cores; the script's default, all of them, reaches about 86 %."""

import os
import re
import subprocess
import sys
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = "/usr/share/datasets/fashion-mnist"


class FashionMnistTest(unittest.TestCase):
    @unittest.skipUnless(os.path.isdir(DATA), "needs Debian's dataset-fashion-mnist")
    def test_two_epochs_off_three_of_four_drives_reach_80_percent(self):
        result = subprocess.run(
            [sys.executable, os.path.join(REPO, "scripts", "train_fashion_mnist.py"),
             "--ferry", os.environ.get("FERRY_BINARY", "ferry"), "--train-limit", "30000",
             "--epochs", "2", "--workers", "2"],
            capture_output=True, text=True)
        sys.stderr.write(result.stdout)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("drive 2 removed", result.stdout)
        rebuilt = [int(x) for x in re.findall(r"stripes rebuilt (\d+)", result.stdout)]
        self.assertEqual(len(rebuilt), 2)  # two epochs
        self.assertTrue(all(x > 0 for x in rebuilt))  # read through parity
        accuracy = float(re.search(r"test accuracy: ([0-9.]+)", result.stdout).group(1))
        self.assertGreaterEqual(accuracy, 0.80)


if __name__ == "__main__":
    unittest.main()
