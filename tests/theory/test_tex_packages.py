"""The theory PDFs build on a fresh Debian with what `.ci/run` installs: every file XeLaTeX reads for the
template (both modes) and for the solutions PDF belongs to a Debian package in the dependency closure
(`apt-cache depends --no-recommends`, recursively) of `.ci/run`'s PACKAGES line. A package installed by
hand on this machine and read by a build fails the test, which names the file and the package to add.

Files read: the `.fls` of a `-recorder` build (TeX inputs), plus the font files the `.xdv` names (XeTeX
does not record the OpenType and TrueType fonts it loads; `xdvipdfmx -vv` prints their paths).
"""

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from support import REPO, REPOSITORY, needs_tool

from hw3.theory.solutions_pdf import INSTALL_HINTS, PDF_ENGINE, build
from hw3.theory.template import TEMPLATE_NAME
from hw3.theory.texlive import PANDOC_PACKAGE, TEX_PACKAGES, apt_install

pytestmark = pytest.mark.slow  # three XeLaTeX builds and a few hundred apt-cache calls

CI_RUN = REPO / ".ci" / "run"
README = REPO / "README.md"
PACKAGES_LINE = re.compile(r"^PACKAGES=\((.*)\)\s*$", re.MULTILINE)
TEMPLATE = REPOSITORY.theory / TEMPLATE_NAME
ENGLISH_ONLY = ("\n\\persiantrue\n", "\n\\persianfalse\n")
TOOLS = ("dpkg", "apt-cache", "xelatex", "xdvipdfmx", "pandoc")
TIMEOUT_S = 300
# Font and map files that xdvipdfmx names in its verbose output.
FONT_FILE = re.compile(r"(/[^\s()<>\"{}]+\.(?:otf|ttf|ttc|pfb|pfa|cff|enc|map|sfd|vf|tfm))")
# Files no package owns but the TeX packages' maintainer scripts write (formats, ls-R, updmap's maps).
GENERATED_ROOTS = (Path("/var/lib/texmf"), Path("/var/cache/fonts"), Path("/etc/texmf"))
DEPENDS_KINDS = ("Depends", "PreDepends")
APT_CACHE_DEPENDS = [
    "apt-cache",
    "depends",
    "--no-recommends",
    "--no-suggests",
    "--no-conflicts",
    "--no-breaks",
    "--no-replaces",
    "--no-enhances",
]


def ci_packages() -> list[str]:
    """The Debian packages of .ci/run's PACKAGES=(...) line."""
    match = PACKAGES_LINE.search(CI_RUN.read_text(encoding="utf-8"))
    assert match, f"{CI_RUN}: no PACKAGES=(...) line"
    return shlex.split(match.group(1))


def parse_depends(listing: str) -> dict[str, list[str]]:
    """`apt-cache depends` output (blocks: the package's name at column 0, then its dependencies) as
    package -> what apt installs for it with --no-install-recommends: of each `A | B` group the first
    alternative, of a virtual package its first provider."""
    chosen: dict[str, list[str]] = {}
    current, in_group, virtual = None, False, False
    for line in listing.splitlines():
        if not line.startswith(" "):  # the next package's block
            current, in_group, virtual = chosen.setdefault(line.strip(), []), False, False
            continue
        if line.startswith("    "):  # a provider of the virtual package on the line above
            if virtual:
                current.append(line.strip().split(":")[0])
                virtual = False
            continue
        kind, _, name = line.strip().lstrip("|").partition(": ")
        if kind not in DEPENDS_KINDS:
            continue
        first_of_group, virtual = not in_group, False
        in_group = line.lstrip().startswith("|")  # the next line is an alternative of this one
        if first_of_group and name.startswith("<"):
            virtual = True
        elif first_of_group:
            current.append(name.split(":")[0])
    return chosen


def closure(packages: list[str]) -> set[str]:
    """`packages` and everything they depend on, recursively: one apt-cache call per level."""
    seen, level = set(), set(packages)
    while level:
        seen |= level
        done = subprocess.run(
            [*APT_CACHE_DEPENDS, *sorted(level)], capture_output=True, text=True, check=True
        )
        level = {dep for deps in parse_depends(done.stdout).values() for dep in deps} - seen
    return seen


def files_read(folder: Path, tex: str) -> set[Path]:
    """Absolute paths of the files a XeLaTeX build of `folder/tex` reads, fonts included."""
    stem = Path(tex).stem
    for _ in range(2):
        done = subprocess.run(
            [PDF_ENGINE, "-no-pdf", "-interaction=nonstopmode", "-halt-on-error", "-recorder", tex],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
        assert done.returncode == 0, done.stdout[-3000:]
    fonts = subprocess.run(
        ["xdvipdfmx", "-vv", "-o", f"{stem}.pdf", f"{stem}.xdv"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert fonts.returncode == 0, fonts.stderr[-3000:]
    recorded = (folder / f"{stem}.fls").read_text(encoding="utf-8").splitlines()
    paths = {line.split(" ", 1)[1] for line in recorded if line.startswith("INPUT ")}
    paths |= set(FONT_FILE.findall(fonts.stderr + fonts.stdout))
    return {Path(p) for p in paths if Path(p).is_absolute() and folder not in Path(p).parents}


def dpkg_owners(paths: list[Path]) -> dict[Path, str]:
    """path -> the Debian package that owns it, for those of `paths` some package owns (one dpkg -S call)."""
    if not paths:
        return {}
    done = subprocess.run(["dpkg", "-S", *map(str, paths)], capture_output=True, text=True)
    found = {}
    for line in done.stdout.splitlines():
        packages, _, path = line.partition(": ")
        if not line.startswith("diversion ") and path:
            found[Path(path)] = packages.split(",")[0].strip()
    return {path: found[path] for path in paths if path in found}


def owners(paths: set[Path]) -> tuple[dict[Path, str], list[Path]]:
    """(path -> owning Debian package, paths no package owns). A file reached through a symbolic link
    belongs to the package of the link, or else of its target."""
    owned = dpkg_owners(sorted(paths))
    rest = [path for path in sorted(paths) if path not in owned]
    targets = dpkg_owners(sorted({path.resolve() for path in rest}))
    owned |= {path: targets[path.resolve()] for path in rest if path.resolve() in targets}
    return owned, [path for path in rest if path not in owned]


@pytest.fixture(scope="module")
def read_by_builds(tmp_path_factory) -> dict[str, set[Path]]:
    """Build name -> the files its XeLaTeX run read."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    needs_tool(
        not missing, f"{', '.join(missing)} not found (Debian with {apt_install(*TEX_PACKAGES)})"
    )
    builds = {}
    text = TEMPLATE.read_text(encoding="utf-8")
    for mode, source in (
        ("template-persian", text),
        ("template-english", text.replace(*ENGLISH_ONLY)),
    ):
        folder = tmp_path_factory.mktemp(mode)
        (folder / TEMPLATE_NAME).write_text(source, encoding="utf-8")
        builds[mode] = files_read(folder, TEMPLATE_NAME)
    folder = tmp_path_factory.mktemp("solutions")
    done = build(theory=REPOSITORY.theory, folder=folder)
    builds["solutions"] = files_read(folder, done.log.with_suffix(".tex").name)
    return builds


def test_ci_installs_the_tex_packages_and_pandoc():
    assert set(TEX_PACKAGES) | {PANDOC_PACKAGE} <= set(ci_packages())


def test_install_hints_the_templates_comment_and_the_readme_name_the_same_packages():
    assert apt_install(*TEX_PACKAGES) in INSTALL_HINTS[PDF_ENGINE]
    assert apt_install(PANDOC_PACKAGE) in INSTALL_HINTS["pandoc"]
    assert apt_install(*TEX_PACKAGES) in TEMPLATE.read_text(encoding="utf-8")
    assert apt_install(*TEX_PACKAGES, PANDOC_PACKAGE) in README.read_text(encoding="utf-8")


def test_every_file_the_theory_pdfs_read_comes_from_what_ci_installs(read_by_builds, capsys):
    installed = closure(ci_packages())
    paths = set().union(*read_by_builds.values())
    owned, unowned = owners(paths)
    outside = {path: package for path, package in owned.items() if package not in installed}
    stray = [p for p in unowned if not any(root in p.parents for root in GENERATED_ROOTS)]
    used = sorted(set(owned.values()))
    with capsys.disabled():
        print(
            f"\nTeX closure: {len(paths)} files read by {', '.join(read_by_builds)}; "
            f"{len(owned)} in {len(used)} Debian packages ({', '.join(used)}); "
            f"{len(unowned) - len(stray)} generated by their scripts; closure of .ci/run's "
            f"{len(ci_packages())} packages: {len(installed)} packages; outside it: "
            f"{sorted(set(outside.values())) or 'none'}; unowned: {[str(p) for p in stray] or 'none'}"
        )
    assert outside == {}, (
        f"read by the theory builds but not installed by .ci/run (add the package to PACKAGES and to "
        f"hw3.theory.texlive.TEX_PACKAGES): {outside}"
    )
    assert stray == [], f"files no Debian package owns (installed by hand?): {stray}"


def test_dependency_closure_takes_one_alternative_per_group():
    listing = (
        "texlive-base\n |Depends: debconf\n  Depends: <debconf-2.0>\n    cdebconf\n    debconf\n"
        "  Depends: tex-common\n  Depends: <perl:any>\n    perl\n  Recommends: lmodern\n"
        "tex-common\n  PreDepends: dpkg\n  Depends: ucf\n"
    )
    assert parse_depends(listing) == {
        "texlive-base": ["debconf", "tex-common", "perl"],
        "tex-common": ["dpkg", "ucf"],
    }
