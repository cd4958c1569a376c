"""Sphinx glue that keeps nbdev's links working on a Sphinx-built site.

nbdev writes links to the documentation as absolute URLs of the published site
(`https://walk-with-dl.github.io/walk_with_dl/core.html#key_for`, from `_modidx.py`), and its
anchors are the ones Pandoc/Quarto derive from a heading (`key_for`, `dataloader.set_epoch`),
while docutils derives `key-for`, `dataloader-set-epoch`. This extension

- gives every section a second id spelled the Pandoc way (written as an empty `<span id>`),
  so both spellings of an anchor work, here and for other sites that link with nbdev;
- turns links to pages of this site into relative links, so the site works wherever it is
  served (a local folder, a preview) and `tools/check_docs.py` can check them.
"""
import re
from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform


def pandoc_id(text: str) -> str:
    "The identifier Pandoc (and so Quarto/nbdev) gives a heading with `text`."
    ident = re.sub(r"[^\w\s.-]", "", text.strip(), flags=re.UNICODE).lower()
    ident = re.sub(r"\s+", "-", ident)
    ident = re.sub(r"^[^a-z]+", "", ident)   # must start with a letter
    return ident


class PandocSectionIds(SphinxTransform):
    "Add the Pandoc spelling of each section's id as an extra id."
    default_priority = 800

    def apply(self, **kwargs):
        for section in self.document.findall(nodes.section):
            title = section.next_node(nodes.title)
            if title is None: continue
            ident = pandoc_id(title.astext())
            if ident and ident not in section["ids"] and ident not in self.document.ids:
                section["ids"].append(ident)
                self.document.ids[ident] = section


class SiteLinksRelative(SphinxPostTransform):
    "Rewrite absolute links into this site (`html_baseurl`) as relative, internal links."
    default_priority = 900
    formats = ("html",)

    def run(self, **kwargs):
        base = (self.config.html_baseurl or "").rstrip("/") + "/"
        if base == "/": return
        bases = {base, base.replace("https://", "http://", 1)}
        for ref in self.document.findall(nodes.reference):
            uri = ref.get("refuri", "")
            for b in bases:
                if uri.startswith(b):
                    rel = uri[len(b):] or "index.html"
                    if rel.startswith("#"): rel = "index.html" + rel
                    ref["refuri"] = rel
                    ref["internal"] = True
                    break


def setup(app):
    app.add_transform(PandocSectionIds)
    app.add_post_transform(SiteLinksRelative)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
