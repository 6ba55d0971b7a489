"""A Sphinx extension of the course's site: each picture of a chapter keeps its alt text.

A timeline a chapter stores is a PNG with its text alternative in the output's metadata
(`metadata["image/png"]["alt"]`, written by LiveView._repr_mimebundle_ in
src/minimp/views/widgets/view.py), where nbconvert reads it. MyST-NB does not: it names
each picture by its file, which is the SHA-256 of the picture's bytes. So this finds the
alternative by that hash, in the chapters the site is built from. A picture stored without
one (a plain matplotlib figure) says so, rather than read its file name to a screen reader.
"""

import base64
import hashlib
import json
import pathlib

from docutils import nodes

NO_ALT = "a picture drawn by the cell above (its text alternative was not stored)"


def alt_texts(notebooks: list[pathlib.Path]) -> dict[str, str]:
    """The alt text of every PNG output of `notebooks` that has one, by the SHA-256 of its bytes."""
    found = {}
    for path in notebooks:
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []):
                png, alt = output.get("data", {}).get("image/png"), output.get("metadata", {}).get("image/png", {}).get("alt")
                if png and alt:
                    found[hashlib.sha256(base64.b64decode(png)).hexdigest()] = alt
    return found


def name_pictures(app, doctree, docname) -> None:
    if not docname.startswith("notebooks/"):
        return
    if not hasattr(app, "minimp_alt"):
        app.minimp_alt = alt_texts(sorted(pathlib.Path(app.srcdir, "notebooks").glob("[0-9][0-9]_*.ipynb")))
    for image in doctree.findall(nodes.image):
        if image.get("alt", image["uri"]) == image["uri"]:  # MyST-NB's: none
            image["alt"] = app.minimp_alt.get(pathlib.PurePath(image["uri"]).stem, NO_ALT)


def setup(app):
    app.connect("doctree-resolved", name_pictures)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
