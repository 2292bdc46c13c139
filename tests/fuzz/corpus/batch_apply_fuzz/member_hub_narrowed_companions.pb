
³
425NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENAstory-n€ùÀÁÄ‚ (8€€ùÀÁÄ‚@€ùÀÁÄ‚jS
Shared widely8What we tried, what it took, and what we would do again.outreach
ÿ
º
425NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENAstory-n‚€ùÀÁÄ‚ (8€€ùÀÁÄ‚@‚€ùÀÁÄ‚jZ
Now for the hub only8What we tried, what it took, and what we would do again.outreach@BË'vè({\zUJä÷¾+ì2_¥pu(²>¢u9ä…@Îôc"S›h;ålPØÈ¥á¦_£í¸R„üì[Ÿþ
`
425NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENAstory-n‚€ùÀÁÄ‚ (08€€ùÀÁÄ‚@‚€ùÀÁÄ‚