"""A misspelled stack config key of the ccprovider namespace is named, not ignored."""

from ccprovider.connection import unknown_config_keys


def test_a_misspelled_key_is_named_with_the_key_it_was_meant_to_be() -> None:
    [problem] = unknown_config_keys(["ccprovider:tenants", "ccprovider:endpoint", "aws:region"])

    assert problem.startswith(
        "ccprovider:tenants: unknown stack config key. Did you mean ccprovider:tenant?"
    )
    assert unknown_config_keys(["ccprovider:tenant", "ccprovider:protect", "other:x"]) == []
