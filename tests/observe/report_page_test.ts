/**
 * The `--report=FILE.html` page as a browser shows it: opened in headless Chromium, its screenshot must show
 * the communication matrix of a ring on 3 ranks (tests/observe/fixtures/pattern.ts): 3 full-red squares, one
 * per row, each in the column of the row's right neighbour. Chromium is slow to start (tens of seconds on a
 * loaded machine), so this runs under the Deno launcher only; it is skipped where Chromium is not installed
 * (scripts/services/install.sh installs it).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { flavour, runRanks } from "../_helpers/run_ranks.ts";
import { decodePng, type Image } from "./_png.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((file) =>
  fs.existsSync(file)
);

/** Connected regions of pixels for which `inside` holds: their bounding boxes. */
function regions(image: Image, inside: (r: number, g: number, b: number) => boolean) {
  const { width, height, rgba } = image;
  const seen = new Uint8Array(width * height);
  const boxes: { x0: number; y0: number; x1: number; y1: number }[] = [];
  const hit = (i: number) => inside(rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2]);
  for (let start = 0; start < width * height; start++) {
    if (seen[start] || !hit(start)) continue;
    const box = { x0: width, y0: height, x1: 0, y1: 0 };
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const [x, y] = [i % width, Math.floor(i / width)];
      box.x0 = Math.min(box.x0, x), box.x1 = Math.max(box.x1, x);
      box.y0 = Math.min(box.y0, y), box.y1 = Math.max(box.y1, y);
      for (const j of [i - 1, i + 1, i - width, i + width]) {
        if (j < 0 || j >= width * height || seen[j] || Math.abs((j % width) - x) > 1 || !hit(j)) continue;
        seen[j] = 1;
        stack.push(j);
      }
    }
    boxes.push(box);
  }
  return boxes;
}

if (flavour === "deno" && CHROMIUM !== undefined) {
  test("the --report HTML page shows the communication matrix in a browser (headless Chromium)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-page-"));
    const page = path.join(dir, "report.html");
    const job = await runRanks(3, "tests/observe/fixtures/pattern.ts", {
      launcherArgs: [`--report=${page}`],
    });
    assert.equal(job.code, 0, job.stderr);
    const png = path.join(dir, "report.png");
    const shot = spawnSync(CHROMIUM, [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--hide-scrollbars",
      "--no-first-run",
      "--window-size=900,900",
      `--screenshot=${png}`,
      `file://${page}`,
    ], { encoding: "utf8", timeout: 150_000 });
    assert.ok(fs.existsSync(png), `no screenshot: ${shot.stderr}`);
    const image = decodePng(fs.readFileSync(png));
    // The darkest cells are rgb(200, 40, 20) over white; squares (not the wide time bars) are matrix cells.
    const red = (r: number, g: number, b: number) => r > 170 && g < 90 && b < 80;
    const squares = regions(image, red).filter((box) => {
      const [w, h] = [box.x1 - box.x0 + 1, box.y1 - box.y0 + 1];
      return w >= 20 && Math.abs(w - h) <= 3;
    }).sort((a, b) => a.y0 - b.y0);
    assert.equal(squares.length, 3, `full-red squares: ${JSON.stringify(squares)}`);
    const columns = [...squares].sort((a, b) => a.x0 - b.x0);
    squares.forEach((square, row) => {
      assert.equal(
        columns.indexOf(square),
        (row + 1) % 3,
        `row ${row}'s darkest cell: ${JSON.stringify(squares)}`,
      );
    });
  });
}
