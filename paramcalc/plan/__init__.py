"""Planners: memory and compute for fine-tuning and training, adapters (LoRA as PEFT adds them).

Planners read networks and never the reverse: they sit above the walk.
"""
