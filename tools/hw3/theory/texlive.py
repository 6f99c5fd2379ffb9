"""The Debian packages that build the theory PDFs: one list, for the install hints of `hw3 solutions-pdf`,
the template's comment (a test compares them) and `.ci/run`'s PACKAGES line (a test checks it holds them,
and that every file a build reads comes from them or their dependencies).

- texlive-xetex: XeLaTeX, fontspec, tcolorbox, pgf;
- texlive-lang-arabic: XePersian and the Amiri font;
- texlive-fonts-recommended: the ZapfDingbats font (pzdr) that hyperref's XeTeX driver loads;
- lmodern: lmodern.sty, which pandoc's LaTeX template loads.
"""

TEX_PACKAGES = ("texlive-xetex", "texlive-lang-arabic", "texlive-fonts-recommended", "lmodern")
PANDOC_PACKAGE = "pandoc"


def apt_install(*packages: str) -> str:
    """The Debian/Ubuntu command that installs `packages`, as the hints print it."""
    return "apt-get install --no-install-recommends " + " ".join(packages)
