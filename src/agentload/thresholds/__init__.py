"""agentload.thresholds"""
