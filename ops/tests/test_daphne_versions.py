import pytest

from ops.daphne import SUPPORTED, UnsupportedVersion, versions_check


def test_the_installed_server_stack_is_the_one_the_patches_were_written_for():
    versions_check()


def test_another_daphne_release_refuses_to_load_the_patches_and_says_what_to_do():
    found = {name: prefix + "0" for name, prefix in SUPPORTED.items()} | {"daphne": "4.3.0"}

    with pytest.raises(UnsupportedVersion, match=r"daphne 4\.3\.0.*widen SUPPORTED"):
        versions_check(found)
