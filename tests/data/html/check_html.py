#!/usr/bin/env python3
"""Reads an HTML page (the HTML report, or what Chromium's --dump-dom made of it) and prints
one JSON object for tests/test_html.c: structural problems (tags that do not nest, stray end
tags, unclosed elements, bytes that are not UTF-8), references to anything outside the page,
the scripts, the matrix (header labels, rows, the outcome of each cell) and the page's text."""
import json
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
# elements whose end tag HTML lets an author leave out: the report closes them all anyway
URL_ATTRS = {"src", "href", "action", "formaction", "data", "poster", "xlink:href", "srcset",
             "background", "manifest"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.external, self.scripts = [], [], [], []
        self.html_attrs, self.text, self.csp = {}, [], None
        self.header, self.rows, self.in_matrix, self.section = [], [], False, None
        self.cells_bad = 0

    def where(self):
        line, col = self.getpos()
        return "line %d col %d" % (line, col)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_attrs = {k: v for k, v in attrs}
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = a.get("content")
        for k, v in attrs:
            if k in URL_ATTRS and v is not None and not v.startswith("#") and \
                    not v.startswith("data:"):
                self.external.append("%s=%s" % (k, v))
            if k == "style" and v and "url(" in v:
                self.external.append("style=" + v)
        if tag == "script":
            self.scripts.append("")
        if tag == "table" and a.get("id") == "matrix":
            self.in_matrix = True
        if self.in_matrix:
            if tag == "thead":
                self.section = "thead"
            elif tag == "tbody":
                self.section = "tbody"
            elif tag == "tr" and self.section == "tbody":
                self.rows.append({"id": "", "cells": [], "hidden": "hidden" in a})
            elif tag == "th" and self.section == "thead":
                self.header.append("")
            elif tag == "td" and self.section == "tbody" and self.rows:
                classes = (a.get("class") or "").split()
                outcome = a.get("data-outcome")
                if "cell" not in classes or outcome not in classes:
                    self.cells_bad += 1
                self.rows[-1]["cells"].append(outcome)
        if tag not in VOID:
            self.stack.append((tag, self.where()))

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID and not any(t == "svg" for t, _ in self.stack):
            self.problems.append("<%s/> outside SVG at %s" % (tag, self.where()))
        saved = list(self.stack)
        self.handle_starttag(tag, attrs)
        self.stack = saved

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append("end tag of void element %s at %s" % (tag, self.where()))
            return
        if not self.stack or self.stack[-1][0] != tag:
            top = self.stack[-1] if self.stack else ("(nothing)", "")
            self.problems.append("</%s> at %s closes <%s> opened at %s" %
                                 (tag, self.where(), top[0], top[1]))
            # recover: pop up to the matching tag when there is one
            while self.stack and self.stack[-1][0] != tag:
                self.stack.pop()
        if self.stack:
            self.stack.pop()
        if tag == "table" and self.in_matrix:
            self.in_matrix = False
        if tag in ("thead", "tbody"):
            self.section = None

    def handle_data(self, data):
        inside = [t for t, _ in self.stack]
        if inside and inside[-1] == "script":
            self.scripts[-1] += data
            return
        if inside and inside[-1] == "style":
            if "url(" in data or "@import" in data:
                self.external.append("style: " + data[:80])
            return
        self.text.append(data)
        if self.in_matrix:
            if self.section == "thead" and "th" in inside and self.header:
                self.header[-1] += data
            elif self.section == "tbody" and "th" in inside and self.rows:
                self.rows[-1]["id"] += data


def main():
    raw = open(sys.argv[1], "rb").read()
    problems = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append("not UTF-8: %s" % e)
        text = raw.decode("utf-8", "replace")
    if not text.lstrip().lower().startswith("<!doctype html>"):
        problems.append("no <!DOCTYPE html>")
    p = Page()
    p.feed(text)
    p.close()
    problems += p.problems
    problems += ["<%s> opened at %s is never closed" % t for t in p.stack]
    cells = {}
    for r in p.rows:
        for c in r["cells"]:
            cells[c] = cells.get(c, 0) + 1
    print(json.dumps({
        "problems": problems, "external": p.external, "scripts": p.scripts, "csp": p.csp,
        "html_attrs": p.html_attrs, "header": [h.strip() for h in p.header],
        "rows": [{"id": r["id"].strip(), "cells": r["cells"], "hidden": r["hidden"]}
                 for r in p.rows],
        "cells": cells, "cells_bad": p.cells_bad, "text": "".join(p.text)}))


main()
