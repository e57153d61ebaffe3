"""agentload.reports"""
