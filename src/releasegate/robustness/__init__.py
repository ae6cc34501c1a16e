"""Robustness: the same question asked differently (perturbations of golden cases, their
variants as test cases, the robustness metrics and ``releasegate fuzz``)."""
