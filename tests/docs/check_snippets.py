#!/usr/bin/env python3
"""Keeps the code in docs/*.md identical to the compiled code in docs/code/*.cpp.

A region of a docs/code file is marked

    // [snippet: hessian]
    ...code...
    // [end]

and a page embeds it as a ```cpp block right after a marker naming the file and the region:

    <!-- snippet: docs/code/tensors-and-autograd.cpp#hessian -->
    ```cpp
    ...the same code, without the region's common indentation...
    ```

The check fails, naming the page, the snippet and the first differing line, when a block differs
from its region, when a marker names a file or region that does not exist, when a page that uses
markers has a ```cpp block without one, and when a region is used by no page. Plain stdlib only.

    check_snippets.py [ROOT]          check ROOT/docs/*.md against ROOT/docs/code/*.cpp
    check_snippets.py ROOT --update   rewrite the marked blocks from the code instead
    check_snippets.py --self-test     check that the checker catches each kind of drift
"""

import os
import re
import sys
import tempfile

BEGIN = re.compile(r"^[ \t]*// \[snippet: ([A-Za-z0-9_-]+)\][ \t]*$")
END = re.compile(r"^[ \t]*// \[end\][ \t]*$")
MARKER = re.compile(r"^<!-- snippet: ([^#\s]+)#([A-Za-z0-9_-]+) -->[ \t]*$")
FENCE_CPP = "```cpp"
FENCE_END = "```"


class Region:
    def __init__(self, path, name, line, lines):
        self.path = path  # relative to the root, as markers name it
        self.name = name
        self.line = line  # 1-based line of the "// [snippet: ...]" marker
        self.lines = lines  # dedented content
        self.used = False


def read_lines(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def dedent(lines):
    """Removes the longest whitespace prefix shared by every non-blank line."""
    prefixes = [re.match(r"[ \t]*", line).group(0) for line in lines if line.strip()]
    if not prefixes:
        return ["" for _ in lines]
    common = os.path.commonprefix(prefixes)
    return [line[len(common):] if line.strip() else "" for line in lines]


def parse_code(root, rel_path, problems):
    """The snippet regions of one code file, by name."""
    regions = {}
    lines = read_lines(os.path.join(root, rel_path))
    current = None  # (name, line number, content)
    for number, line in enumerate(lines, 1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if current:
                problems.append(f"{rel_path}:{number}: snippet '{begin.group(1)}' starts inside "
                                f"snippet '{current[0]}' (line {current[1]}); "
                                f"close that one with // [end]")
            current = (begin.group(1), number, [])
        elif end:
            if not current:
                problems.append(f"{rel_path}:{number}: // [end] without a // [snippet: name]")
                continue
            name, start, content = current
            current = None
            if name in regions:
                problems.append(f"{rel_path}:{start}: snippet '{name}' is defined twice "
                                f"(first at line {regions[name].line})")
            elif not any(l.strip() for l in content):
                problems.append(f"{rel_path}:{start}: snippet '{name}' is empty")
            else:
                regions[name] = Region(rel_path, name, start, dedent(content))
        elif current:
            current[2].append(line)
    if current:
        problems.append(f"{rel_path}:{current[1]}: snippet '{current[0]}' has no // [end]")
    return regions


def parse_page(root, rel_path, problems):
    """The marked blocks of one page: (marker line, code path, name, first line, block lines)."""
    lines = read_lines(os.path.join(root, rel_path))
    blocks = []
    uses_markers = any(MARKER.match(line) for line in lines)
    i = 0
    while i < len(lines):
        marker = MARKER.match(lines[i])
        if marker:
            if i + 1 >= len(lines) or lines[i + 1] != FENCE_CPP:
                problems.append(f"{rel_path}:{i + 1}: the snippet marker must be followed "
                                f"directly by a {FENCE_CPP} line")
                i += 1
                continue
            j = i + 2
            while j < len(lines) and lines[j] != FENCE_END:
                j += 1
            if j >= len(lines):
                problems.append(f"{rel_path}:{i + 2}: the {FENCE_CPP} block is never closed")
                break
            blocks.append((i + 1, marker.group(1), marker.group(2), i + 3, lines[i + 2:j]))
            i = j + 1
            continue
        if uses_markers and lines[i].strip() == FENCE_CPP:
            problems.append(f"{rel_path}:{i + 1}: a {FENCE_CPP} block without a "
                            f"<!-- snippet: docs/code/<file>.cpp#<name> --> marker; its code "
                            f"would not be compiled or tested")
        if lines[i].lstrip().startswith("```"):  # skip other fenced blocks whole
            fence = lines[i].lstrip()[:3]
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(fence):
                i += 1
        i += 1
    return lines, blocks


def first_difference(page_lines, code_lines):
    for k in range(max(len(page_lines), len(code_lines))):
        page = page_lines[k] if k < len(page_lines) else None
        code = code_lines[k] if k < len(code_lines) else None
        if page != code:
            return k, page, code
    return None


def show(line):
    return "(no line)" if line is None else repr(line)


def check(root, update=False):
    """Returns the list of problems (empty when everything matches)."""
    problems = []
    docs = os.path.join(root, "docs")
    code_dir = os.path.join(docs, "code")
    code_files = sorted(f for f in os.listdir(code_dir) if f.endswith(".cpp")) \
        if os.path.isdir(code_dir) else []
    regions = {}  # (path, name) -> Region
    for name in code_files:
        rel = f"docs/code/{name}"
        for region in parse_code(root, rel, problems).values():
            regions[(rel, region.name)] = region
    pages = sorted(f for f in os.listdir(docs) if f.endswith(".md")) if os.path.isdir(docs) else []
    checked = 0
    for page in pages:
        rel_page = f"docs/{page}"
        lines, blocks = parse_page(root, rel_page, problems)
        rewritten = list(lines)
        for marker_line, code_path, name, first_line, block in reversed(blocks):
            label = f"{code_path}#{name}"
            region = regions.get((code_path, name))
            if region is None:
                if not os.path.isfile(os.path.join(root, code_path)):
                    problems.append(f"{rel_page}:{marker_line}: snippet '{label}': no such file "
                                    f"(markers name a file under docs/code/)")
                else:
                    problems.append(f"{rel_page}:{marker_line}: snippet '{label}': {code_path} "
                                    f"has no region // [snippet: {name}]")
                continue
            region.used = True
            checked += 1
            if update:
                rewritten[first_line - 1:first_line - 1 + len(block)] = region.lines
                continue
            diff = first_difference(block, region.lines)
            if diff:
                k, page_text, code_text = diff
                problems.append(
                    f"{rel_page}:{first_line + k}: snippet '{label}' differs from the code at "
                    f"its line {k + 1} ({code_path}:{region.line + 1 + k}):\n"
                    f"    page: {show(page_text)}\n    code: {show(code_text)}")
        if update and rewritten != lines:
            with open(os.path.join(root, rel_page), "w", encoding="utf-8", newline="") as f:
                f.write("\n".join(rewritten) + "\n")
            print(f"check_snippets: updated {rel_page}")
    check_includes(root, pages, problems)
    for region in regions.values():
        if not region.used:
            problems.append(f"{region.path}:{region.line}: snippet '{region.name}' is not used "
                            f"by any page in docs/")
    return problems, checked, len(pages)


HEADER_NAMED = re.compile(r"`((?:autograd|nn|models)/[A-Za-z0-9_/]+\.hpp)`")
HEADER_INCLUDED = re.compile(r'^#include "((?:autograd|nn|models)/[A-Za-z0-9_/]+\.hpp)"')


def check_includes(root, pages, problems):
    """A page's code (docs/code/<page>.cpp) includes exactly the xgrad headers the page tells the
    reader to include, so a reader who follows the page gets code that compiles."""
    for page in pages:
        code = f"docs/code/{page[:-3]}.cpp"
        if not os.path.isfile(os.path.join(root, code)):
            continue
        named = set(HEADER_NAMED.findall("\n".join(read_lines(os.path.join(root, "docs", page)))))
        included = {m.group(1) for m in map(HEADER_INCLUDED.match,
                                            read_lines(os.path.join(root, code))) if m}
        if named != included:
            problems.append(f"docs/{page}: the page names {sorted(named) or 'no header'} but "
                            f"{code} includes {sorted(included) or 'none'}; the page must name "
                            f"exactly what its code includes")


def self_test():
    """Builds small trees with each kind of drift and checks that each is reported."""
    code = ("TEST_CASE(\"x\", \"[docs]\") {\n"
            "  // [snippet: first]\n  int a = 1;\n  int b = 2;\n  // [end]\n"
            "  // [snippet: second]\n  int c = 3;\n  // [end]\n}\n")
    good_page = ("# Page\n\n<!-- snippet: docs/code/page.cpp#first -->\n```cpp\nint a = 1;\n"
                 "int b = 2;\n```\n\n<!-- snippet: docs/code/page.cpp#second -->\n```cpp\n"
                 "int c = 3;\n```\n")
    cases = [
        ("matching", good_page, code, None),
        ("changed line", good_page.replace("int b = 2;", "int b = 3;"), code,
         "docs/page.md:6: snippet 'docs/code/page.cpp#first' differs from the code at its "
         "line 2 (docs/code/page.cpp:4):\n    page: 'int b = 3;'\n    code: 'int b = 2;'"),
        ("missing line", good_page.replace("int b = 2;\n", ""), code,
         "docs/page.md:6: snippet 'docs/code/page.cpp#first' differs from the code at its "
         "line 2 (docs/code/page.cpp:4):\n    page: (no line)"),
        ("unused region", good_page.split("\n<!-- snippet: docs/code/page.cpp#second")[0], code,
         "docs/code/page.cpp:6: snippet 'second' is not used by any page in docs/"),
        ("unknown region", good_page.replace("#second", "#third"), code,
         "has no region // [snippet: third]"),
        ("unknown file", good_page.replace("page.cpp#second", "other.cpp#second"), code,
         "snippet 'docs/code/other.cpp#second': no such file"),
        ("unmarked block", good_page + "\n```cpp\nint d = 4;\n```\n", code,
         "docs/page.md:14: a ```cpp block without a"),
        ("unclosed region", good_page, code.replace("  int c = 3;\n  // [end]\n", ""),
         "snippet 'second' has no // [end]"),
        ("marker without block", good_page.replace("#first -->\n```cpp", "#first -->\n\n```cpp"),
         code, "docs/page.md:3: the snippet marker must be followed directly"),
    ]
    failures = 0
    for title, page, source, expected in cases:
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "docs", "code"))
            with open(os.path.join(root, "docs", "page.md"), "w", encoding="utf-8") as f:
                f.write(page)
            with open(os.path.join(root, "docs", "code", "page.cpp"), "w", encoding="utf-8") as f:
                f.write(source)
            problems, _, _ = check(root)
            report = "\n".join(problems)
            ok = (not problems) if expected is None else (expected in report)
            if expected is not None and ok:
                # --update must repair a drifted page whenever the markers themselves are sound.
                if title in ("changed line", "missing line"):
                    check(root, update=True)
                    ok = not check(root)[0]
            print(f"self-test {'ok  ' if ok else 'FAIL'}: {title}")
            if not ok:
                failures += 1
                print(f"  expected: {expected!r}\n  got:\n{report}")
    if failures:
        print(f"check_snippets self-test: {failures} case(s) failed")
        return 1
    print(f"check_snippets self-test: all {len(cases)} cases behave")
    return 0


def main(argv):
    if "--self-test" in argv:
        return self_test()
    args = [a for a in argv if not a.startswith("--")]
    root = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), "..", ".."))
    update = "--update" in argv
    problems, checked, pages = check(root, update)
    if problems:
        print(f"check_snippets: {len(problems)} problem(s) in {root}/docs:")
        for problem in problems:
            print(problem)
        print("Edit the code in docs/code/ (it is compiled and tested), then copy it into the "
              "page, or run tests/docs/check_snippets.py --update.")
        return 1
    if checked == 0:
        print(f"check_snippets: no snippet markers found in {root}/docs/*.md")
        return 1
    print(f"check_snippets: {checked} snippets in {pages} pages match docs/code")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
