import inspect

import navigator.errors as errors


def test_every_error_has_code_and_status():
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.NavigatorError)]
    assert len(classes) >= 10
    codes = set()
    for cls in classes:
        assert isinstance(cls.code, str) and cls.code
        assert 400 <= cls.http_status <= 599
        codes.add(cls.code)
    assert len(codes) == len(classes)
