# Chinese text uses Chinese punctuation (full-width commas, colons, brackets) on purpose.
# ruff: noqa: RUF001
"""What a review workbook says to its reviewers, in the suite's language (``en``, ``zh``)."""

from __future__ import annotations

__all__ = ["TEXTS"]

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "case_id": "Case",
        "question": "Question",
        "expected": "Expected answer",
        "answer": "Model answer",
        "baseline": "Baseline answer (where different)",
        "verdict": "Automatic verdict",
        "reason": "Reason",
        "comment": "Comment",
        "reviewer": "Reviewer",
        "passed": "passed",
        "failed": "failed",
        "pass": "pass",
        "fail": "fail",
        "instructions": "Instructions",
        "intro": "Review of {n} answer(s) from run {run} (model {model}).",
        "how": "For each row, read the question, the expected answer and the model's answer, then "
        "score every criterion in the yellow cells. Only the yellow cells can be edited.",
        "scale_range": "Scale: whole numbers from {low} (worst) to {high} (best); an answer "
        "passes review at {mark:g} or above.",
        "scale_pf": "Scale: pass or fail.",
        "pending": "Leave a row's scores blank if you cannot judge it: it stays pending.",
        "name": "Write your name in the Reviewer column of every row you score.",
        "rows": "Do not add, delete, move or reorder rows or sheets: the file is matched to "
        "the answers it shows.",
        "back": "Send the filled file back to {contact}; it is imported with: releasegate review "
        "import FILE",
        "back_anyone": "Send the filled file back to whoever sent it; it is imported with: "
        "releasegate review import FILE",
        "sheet": "Sheet {sheet} ({n} answers), criteria:",
        "judge_score": "Judge score",
        "judge_reason": "Judge reason",
        "judge_shown": "This sheet shows the judge model's scores, for adjudication: the scores "
        "given here are kept, but not used to calibrate the judge (they may lean on its scores).",
    },
    "zh": {
        "case_id": "用例编号",
        "question": "问题",
        "expected": "参考答案",
        "answer": "模型回答",
        "baseline": "基线回答（不同时显示）",
        "verdict": "自动判定",
        "reason": "原因",
        "comment": "备注",
        "reviewer": "评审人",
        "passed": "通过",
        "failed": "未通过",
        "pass": "通过",
        "fail": "不通过",
        "instructions": "说明",
        "intro": "本表共 {n} 条回答，来自运行 {run}（模型 {model}）。",
        "how": "请逐行阅读问题、参考答案和模型回答，然后在黄色单元格中为每一项评分。"
        "只有黄色单元格可以编辑。",
        "scale_range": "评分：{low}（最差）到 {high}（最好）的整数；{mark:g} 分及以上为合格。",
        "scale_pf": "评分：通过 或 不通过。",
        "pending": "无法判断的行请留空，它将保持待评审状态。",
        "name": "请在每一行评分的“评审人”列写上您的名字。",
        "rows": "请勿增加、删除、移动或重新排序行和工作表：本文件与其中的回答一一对应。",
        "back": "填好后请发回给 {contact}；导入命令：releasegate review import 文件名",
        "back_anyone": "填好后请发回给发送人；导入命令：releasegate review import 文件名",
        "sheet": "工作表 {sheet}（{n} 条回答），评分项：",
        "judge_score": "评审模型评分",
        "judge_reason": "评审模型理由",
        "judge_shown": "本工作表显示评审模型的评分，仅供裁决：此处的评分会保存，"
        "但不用于校准评审模型（评分可能受其影响）。",
    },
}
